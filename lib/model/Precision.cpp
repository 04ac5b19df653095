#include "lib/model/Precision.h"

#include <ATen/autocast_mode.h>

#include "lib/core/Error.h"

namespace mst::model {

AutocastScope::AutocastScope(const std::string& precision, const torch::Device& device) {
  if (precision != "bf16" && precision != "fp16") return;
  if (precision == "fp16" && !device.is_cuda())
    throw InputError("precision fp16 needs a CUDA device (CPU autocast runs bf16 only): use bf16 or fp32");
  active_ = true;
  cuda_ = device.is_cuda();
  if (cuda_) {
    wasEnabled_ = at::autocast::is_enabled();
    at::autocast::set_autocast_gpu_dtype(precision == "fp16" ? at::kHalf : at::kBFloat16);
    at::autocast::set_enabled(true);
  } else {
    wasEnabled_ = at::autocast::is_cpu_enabled();
    at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
    at::autocast::set_cpu_enabled(true);
  }
  at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  if (cuda_) at::autocast::set_enabled(wasEnabled_);
  else at::autocast::set_cpu_enabled(wasEnabled_);
}

}  // namespace mst::model
