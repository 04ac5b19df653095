// Training losses: soft Dice of the lesion channel (batch Dice, smoothing 1e-5)
// plus binary cross-entropy on the logits, weighted by dice_weight and
// bce_weight. With deep supervision, each decoder output k is compared with the
// label resized by nearest neighbour and weighted 1/2^k (normalised).
#pragma once

#include <torch/torch.h>

#include <vector>

#include "lib/config/TrainConfig.h"

namespace mst::train {

struct LossTerms {
  torch::Tensor total;         // differentiable
  double dice = 0, bce = 0;    // at full resolution, for the log
};

torch::Tensor diceLoss(const torch::Tensor& logits, const torch::Tensor& target);

// outputs[0] is full resolution; further entries are deep-supervision heads.
LossTerms segmentationLoss(const std::vector<torch::Tensor>& outputs, const torch::Tensor& target, const TrainConfig& c);

}  // namespace mst::train
