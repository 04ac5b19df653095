// Sliding-window inference settings (no torch types).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mst::infer {

struct InferConfig {
  double overlap = 0.5;            // fraction of the window shared by neighbours (nnU-Net: 0.5)
  bool gaussian = true;            // Gaussian importance weighting, sigma = window / 8
  bool mirror = false;             // test-time augmentation: average over flips of `mirrorAxes`
  std::vector<int> mirrorAxes{0, 1, 2};  // 0 = x, 1 = y, 2 = z
  int windowBatch = 2;             // windows per forward pass
  double threshold = 0.5;          // on the sigmoid probability
  int64_t minComponentVoxels = 0;  // connected components (26) below this size are removed from the mask
  void validate(const std::string& where) const;  // throws InputError naming the field
};

}  // namespace mst::infer
