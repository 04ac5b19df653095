// Sliding-window prediction of a whole volume with a UNet3d (torch types).
#pragma once

#include <torch/torch.h>

#include "lib/cache/Cache.h"
#include "lib/core/Volume.h"
#include "lib/config/InferConfig.h"
#include "lib/model/UNet3d.h"

namespace mst::infer {

// image: [C, Z, Y, X] float on CPU. Returns sigmoid probabilities [Z, Y, X]
// (channel 0 of the output). Volumes smaller than the window are zero-padded.
// Windows start at 0 and advance by round(window * (1 - overlap)); the last
// window of each axis ends at the volume's edge.
torch::Tensor predictProbabilities(model::UNet3d& net, const torch::Tensor& image, const Size3& window,
                                   const InferConfig& config, const torch::Device& device);

// Probability map of one cached study on its cropped grid (mapping.final),
// zero outside the brain mask. Used by prediction and by training's validation.
FloatVolume predictCachedStudy(model::UNet3d& net, const cache::CacheReader& cache, int study, const Size3& window,
                               const InferConfig& config, const torch::Device& device);

// Gaussian importance map [Z, Y, X] for a window (sigma = size / 8 per axis), max 1, min clamped > 0.
torch::Tensor gaussianMap(const Size3& window);

}  // namespace mst::infer
