#include "lib/train/GradScaler.h"

namespace mst::train {

GradScaler::GradScaler(bool enabled, double initScale, double growthFactor, double backoffFactor, int64_t growthInterval)
    : enabled_(enabled), scale_(initScale), growth_(growthFactor), backoff_(backoffFactor), interval_(growthInterval) {}

torch::Tensor GradScaler::scaled(const torch::Tensor& loss) const { return enabled_ ? loss * scale_ : loss; }

bool GradScaler::step(torch::optim::Optimizer& opt, const std::vector<torch::Tensor>& params) {
  if (!enabled_) {
    opt.step();
    return true;
  }
  bool finite = true;
  torch::NoGradGuard guard;
  for (const auto& p : params) {
    if (!p.grad().defined()) continue;
    auto g = p.mutable_grad();
    g.div_(scale_);
    if (finite && !torch::isfinite(g).all().item<bool>()) finite = false;
  }
  if (finite) {
    opt.step();
    if (++goodSteps_ >= interval_) {
      scale_ *= growth_;
      goodSteps_ = 0;
    }
  } else {
    opt.zero_grad();
    scale_ *= backoff_;
    goodSteps_ = 0;
  }
  return finite;
}

void GradScaler::addTo(model::StateDict& dict) const {
  if (!enabled_) return;
  dict["scaler.scale"] = torch::tensor({scale_}, torch::kFloat64);
  dict["scaler.good_steps"] = torch::tensor({goodSteps_}, torch::kInt64);
}

bool GradScaler::takeFrom(model::StateDict& dict) {
  auto s = dict.find("scaler.scale"), g = dict.find("scaler.good_steps");
  if (s == dict.end() || g == dict.end()) return false;
  scale_ = s->second.item<double>();
  goodSteps_ = g->second.item<int64_t>();
  dict.erase(s);
  dict.erase(g);
  return true;
}

}  // namespace mst::train
