#include "lib/train/Optimizer.h"

#include <map>

#include "lib/core/Error.h"
#include "lib/model/Transfer.h"

namespace mst::train {

namespace {

// Trainable parameters grouped by learning-rate multiplier, in parameter order.
std::vector<std::pair<double, std::vector<torch::Tensor>>> groupsByMultiplier(model::UNet3d& net, const TrainConfig& c) {
  std::vector<std::pair<double, std::vector<torch::Tensor>>> groups;
  std::map<std::string, double> multOf;
  for (const auto& [part, m] : c.lrMultipliers)
    for (const auto& n : model::matchPart(net, part))
      if (!multOf.count(n)) multOf[n] = m;
  std::map<double, size_t> groupOf;
  for (auto& p : net->named_parameters(true)) {
    if (!p.value().requires_grad()) continue;
    const double m = multOf.count(p.key()) ? multOf[p.key()] : 1.0;
    if (!groupOf.count(m)) {
      groupOf[m] = groups.size();
      groups.push_back({m, {}});
    }
    groups[groupOf[m]].second.push_back(p.value());
  }
  return groups;
}

torch::optim::SGDOptions sgdOptions(const TrainConfig& c, double lr) {
  return torch::optim::SGDOptions(lr).momentum(c.momentum).nesterov(true).weight_decay(c.weightDecay);
}

}  // namespace

Optim makeOptimizer(model::UNet3d& net, const TrainConfig& c) {
  auto groups = groupsByMultiplier(net, c);
  if (groups.empty()) throw InputError("train: every parameter is frozen; nothing to train");
  Optim o;
  std::vector<torch::optim::OptimizerParamGroup> pg;
  for (auto& [m, params] : groups) {
    o.baseLr.push_back(c.lr * m);
    if (c.optimizer == "adam")
      pg.emplace_back(params, std::make_unique<torch::optim::AdamOptions>(
                                  torch::optim::AdamOptions(c.lr * m).weight_decay(c.weightDecay)));
    else
      pg.emplace_back(params, std::make_unique<torch::optim::SGDOptions>(sgdOptions(c, c.lr * m)));
  }
  if (c.optimizer == "adam")
    o.opt = std::make_unique<torch::optim::Adam>(pg, torch::optim::AdamOptions(c.lr).weight_decay(c.weightDecay));
  else
    o.opt = std::make_unique<torch::optim::SGD>(pg, sgdOptions(c, c.lr));
  return o;
}

void setLr(Optim& o, const TrainConfig& c, double factor) {
  auto& groups = o.opt->param_groups();
  for (size_t g = 0; g < groups.size(); ++g) {
    const double lr = o.baseLr[g] * factor;
    if (c.optimizer == "adam") static_cast<torch::optim::AdamOptions&>(groups[g].options()).lr(lr);
    else static_cast<torch::optim::SGDOptions&>(groups[g].options()).lr(lr);
  }
}

}  // namespace mst::train
