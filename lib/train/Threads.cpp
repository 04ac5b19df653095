#include "lib/train/Threads.h"

#include <torch/torch.h>

#include <algorithm>

#include "lib/preprocess/Preprocess.h"

namespace mst::train {

void setThreads(int threads) {
  threads = std::max(1, threads);
  torch::set_num_threads(threads);
  preprocess::setThreads(threads);
}

int torchThreads() { return torch::get_num_threads(); }

}  // namespace mst::train
