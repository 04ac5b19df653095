#include "lib/train/Ema.h"

namespace mst::train {

namespace {
const std::string kPrefix = "ema.";
}

Ema::Ema(model::UNet3d& net, double decay) : net_(net), decay_(decay) {
  if (!enabled()) return;
  torch::NoGradGuard ng;
  for (const auto& p : net_->named_parameters()) avg_[p.key()] = p.value().detach().clone();
}

void Ema::update() {
  if (!enabled()) return;
  torch::NoGradGuard ng;
  for (const auto& p : net_->named_parameters()) avg_.at(p.key()).mul_(decay_).add_(p.value().detach(), 1.0 - decay_);
}

void Ema::swap() {
  if (!enabled()) return;
  torch::NoGradGuard ng;
  for (const auto& p : net_->named_parameters()) {
    torch::Tensor w = p.value().detach();
    torch::Tensor tmp = w.clone();
    w.copy_(avg_.at(p.key()));
    avg_.at(p.key()).copy_(tmp);
  }
}

void Ema::addTo(model::StateDict& dict) const {
  for (const auto& [k, v] : avg_) dict[kPrefix + k] = v.detach().to(torch::kCPU).contiguous().clone();
}

bool Ema::takeFrom(model::StateDict& dict) {
  bool any = false;
  for (auto it = dict.begin(); it != dict.end();) {
    if (it->first.rfind(kPrefix, 0) == 0) {
      const std::string name = it->first.substr(kPrefix.size());
      if (avg_.count(name)) avg_[name].copy_(it->second);
      any = true;
      it = dict.erase(it);
    } else {
      ++it;
    }
  }
  return any;
}

}  // namespace mst::train
