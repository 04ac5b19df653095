// Mixed precision: the forward passes inside an AutocastScope run under
// autocast to bfloat16 (CPU or CUDA) or float16 (CUDA only; training adds loss
// scaling, lib/train/GradScaler.h), as torch.autocast does in Python:
// convolutions and matrix products in bf16, numerically sensitive ops in fp32.
// Callers cast the outputs back to fp32 before losses and sigmoid, so losses,
// Dice, optimiser state and the probability maps stay fp32.
#pragma once

#include <torch/torch.h>

#include <string>

namespace mst::model {

class AutocastScope {
 public:
  // `precision`: "bf16" or "fp16" enables autocast on `device`; "fp32" does nothing. "fp16" on a CPU
  // device is an InputError.
  AutocastScope(const std::string& precision, const torch::Device& device);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_ = false, cuda_ = false, wasEnabled_ = false;
};

}  // namespace mst::model
