#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include "lib/core/Parallel.h"

using namespace mst;

TEST(ParallelFor, EveryIndexExactlyOnceWhateverTheThreadCount) {
  for (int threads : {0, 1, 3, 64}) {
    std::vector<std::atomic<int>> hits(100);
    parallelFor(hits.size(), threads, [&](size_t i) { ++hits[i]; });
    for (size_t i = 0; i < hits.size(); ++i) EXPECT_EQ(hits[i].load(), 1) << "threads " << threads << " index " << i;
  }
  parallelFor(0, 4, [](size_t) { FAIL() << "no index for n = 0"; });
}

TEST(ParallelFor, UsesSeveralThreadsAndNeverMoreThanAsked) {
  std::mutex mu;
  std::set<std::thread::id> ids;
  std::atomic<int> running{0}, peak{0};
  parallelFor(40, 3, [&](size_t) {
    const int r = ++running;
    int p = peak.load();
    while (r > p && !peak.compare_exchange_weak(p, r)) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    --running;
    std::lock_guard<std::mutex> l(mu);
    ids.insert(std::this_thread::get_id());
  });
  EXPECT_LE(peak.load(), 3);
  EXPECT_LE(ids.size(), 3u);
  EXPECT_GE(ids.size(), 2u);
}

TEST(ParallelFor, FirstExceptionIsRethrownAndLaterIndicesAreNotStarted) {
  std::atomic<size_t> maxStarted{0};
  try {
    parallelFor(1000, 1, [&](size_t i) {
      maxStarted = std::max(maxStarted.load(), i);
      if (i == 5) throw std::runtime_error("study 5 failed");
    });
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "study 5 failed");
  }
  EXPECT_EQ(maxStarted.load(), 5u);  // one thread: nothing after the failing index
  EXPECT_THROW(parallelFor(50, 4, [](size_t i) { if (i % 7 == 3) throw std::runtime_error("x"); }), std::runtime_error);
}
