// The one worker pool: calls fn(i) for every i in [0, n) on
// min(threads, n) threads (at least one), handing out indices in increasing
// order. After an exception no further index is started; once the running
// calls return, the first exception is rethrown on the calling thread.
// fn must be safe to call concurrently; results are written by index, so
// the outcome does not depend on the thread count.
#pragma once

#include <cstddef>
#include <functional>

namespace mst {

void parallelFor(size_t n, int threads, const std::function<void(size_t)>& fn);

}  // namespace mst
