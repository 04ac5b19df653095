#include "lib/train/Losses.h"

namespace mst::train {

torch::Tensor diceLoss(const torch::Tensor& logits, const torch::Tensor& target) {
  auto p = torch::sigmoid(logits);
  auto inter = (p * target).sum();
  auto denom = p.sum() + target.sum();
  return 1.0 - (2.0 * inter + 1e-5) / (denom + 1e-5);
}

LossTerms segmentationLoss(const std::vector<torch::Tensor>& outputs, const torch::Tensor& target, const TrainConfig& c) {
  namespace F = torch::nn::functional;
  LossTerms r;
  if (outputs.size() == 1) {
    auto d = diceLoss(outputs[0], target), bc = torch::binary_cross_entropy_with_logits(outputs[0], target);
    r.total = c.diceWeight * d + c.bceWeight * bc;
    r.dice = d.item<double>();
    r.bce = bc.item<double>();
    return r;
  }
  double wsum = 0;
  r.total = torch::zeros({}, target.options());
  for (size_t k = 0; k < outputs.size(); ++k) {
    const double w = 1.0 / static_cast<double>(1 << k);
    const auto& o = outputs[k];
    auto yk = k == 0 ? target
                     : F::interpolate(target, F::InterpolateFuncOptions()
                                                  .size(std::vector<int64_t>{o.size(2), o.size(3), o.size(4)})
                                                  .mode(torch::kNearest));
    auto d = diceLoss(o, yk), bc = torch::binary_cross_entropy_with_logits(o, yk);
    r.total = r.total + w * (c.diceWeight * d + c.bceWeight * bc);
    if (k == 0) {
      r.dice = d.item<double>();
      r.bce = bc.item<double>();
    }
    wsum += w;
  }
  r.total = r.total / wsum;
  return r;
}

}  // namespace mst::train
