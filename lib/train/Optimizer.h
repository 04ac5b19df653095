// Optimiser construction: Adam or SGD (Nesterov), one parameter group per
// learning-rate multiplier ([train] lr_multipliers; the first matching part
// wins, the rest at 1), frozen parameters left out.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <vector>

#include "lib/config/TrainConfig.h"
#include "lib/model/UNet3d.h"

namespace mst::train {

struct Optim {
  std::unique_ptr<torch::optim::Optimizer> opt;
  std::vector<double> baseLr;  // per param group
};

// Throws InputError when every parameter is frozen.
Optim makeOptimizer(model::UNet3d& net, const TrainConfig& c);

// Sets every group's learning rate to its base times `factor` (the schedule).
void setLr(Optim& o, const TrainConfig& c, double factor);

}  // namespace mst::train
