// Thread settings: Debian's LibTorch uses one thread unless told, so every
// command sets LibTorch's intra-op threads (and ITK's) explicitly.
#pragma once

namespace mst::train {

void setThreads(int threads);  // torch::set_num_threads and ITK's global default
int torchThreads();

}  // namespace mst::train
