// Sliding-window inference settings ([infer]; no torch types).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lib/config/Fields.h"
#include "lib/core/Volume.h"

namespace mst::infer {

struct InferConfig {
  double overlap = 0.5;            // fraction of the window shared by neighbours (nnU-Net: 0.5)
  bool gaussian = true;            // Gaussian importance weighting, sigma = window / 8
  bool mirror = false;             // test-time augmentation: average over flips of `mirrorAxes`
  std::vector<int> mirrorAxes{0, 1, 2};  // 0 = x, 1 = y, 2 = z
  int windowBatch = 2;             // windows per forward pass
  // Window size (x, y, z voxels); 0 on an axis: the training patch's. A window at least as large as the
  // volume predicts it in one pass (zero-padded), without the seams and the overlap of smaller windows.
  Size3 window{0, 0, 0};
  double threshold = 0.5;          // on the sigmoid probability
  int64_t minComponentVoxels = 0;  // connected components (26) below this size are removed from the mask
  // Non-empty: training runs choose min_component_voxels among these on their validation studies (at
  // every evaluation, by the validation metric); the choice at the best checkpoint is used for the test set.
  std::vector<int> minComponentChoices;
  // Experiment runs keep each test study's probability map (<id>_prob.nii.gz, compressed) beside its
  // mask, for analyses at other thresholds; false deletes them after the run's threshold sweep.
  bool keepProbabilities = true;
  std::string precision = "train";  // forward pass: "train" (the model's training precision), "fp32", "bf16" or
                                    // "fp16" (CUDA; on a CPU it runs fp32)

  void validate(const std::string& where) const;  // throws InputError naming the field
  // The window used with a model trained on `patch`: `window`, with the patch on its 0 axes.
  Size3 windowFor(const Size3& patch) const;

  template <class V>
  void fields(V& v) {
    v("overlap", overlap);
    v("gaussian", gaussian);
    v("mirror", mirror);
    v("mirror_axes", mirrorAxes);
    v("window_batch", windowBatch);
    v("window", window, config::kSparse);
    v("threshold", threshold);
    v("min_component_voxels", minComponentVoxels);
    v("min_component_choices", minComponentChoices);
    v.choice("precision", precision, {"train", "fp32", "bf16", "fp16"});
    v("keep_probabilities", keepProbabilities);
  }
};

}  // namespace mst::infer
