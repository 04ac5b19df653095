// Dynamic loss scaling for float16 training (as torch.cuda.amp.GradScaler): the loss is multiplied
// by a scale before backward so that small gradients survive fp16; the gradients are divided by it
// before the optimiser step; a step whose gradients hold inf or NaN is skipped and the scale halved;
// after `interval` good steps in a row the scale doubles. Used with [train] precision = "fp16"
// (CUDA only); fp32 and bf16 (the exponent range of fp32) train without it, and then every call is
// a pass-through. The scale and the count of good steps travel in the resume state ("scaler.*"
// entries of the generation's model file), so a resumed run is bit-identical.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "lib/model/Checkpoint.h"

namespace mst::train {

class GradScaler {
 public:
  explicit GradScaler(bool enabled, double initScale = 65536.0, double growthFactor = 2.0, double backoffFactor = 0.5,
                      int64_t growthInterval = 2000);
  bool enabled() const { return enabled_; }
  double scale() const { return scale_; }
  int64_t goodSteps() const { return goodSteps_; }

  torch::Tensor scaled(const torch::Tensor& loss) const;  // loss * scale (the loss itself when disabled)
  // Divides the gradients of `params` by the scale and steps `opt` unless one is inf or NaN (then the
  // gradients are discarded); updates the scale. Returns whether the optimiser stepped.
  bool step(torch::optim::Optimizer& opt, const std::vector<torch::Tensor>& params);

  void addTo(model::StateDict& dict) const;  // "scaler.scale", "scaler.good_steps" (enabled only)
  bool takeFrom(model::StateDict& dict);     // removes them from `dict`; false when absent

 private:
  bool enabled_;
  double scale_, growth_, backoff_;
  int64_t interval_, goodSteps_ = 0;
};

}  // namespace mst::train
