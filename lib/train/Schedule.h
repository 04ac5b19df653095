// Learning-rate schedule (no torch): the factor applied to every group's base
// learning rate at iteration `it` (0-based). Linear warm-up over `warmup`
// iterations, then poly ((1 - t)^0.9, nnU-Net), cosine, constant, or plateau
// (multiplied by lr_factor after every lr_patience validations without
// improvement; see EarlyStop.h).
#pragma once

#include <cstdint>

#include "lib/config/TrainConfig.h"

namespace mst::train {

// `reductions`: how often the plateau schedule has cut the rate so far (lr_factor^reductions after warm-up).
double scheduleFactor(const TrainConfig& c, int64_t it, int reductions = 0);

}  // namespace mst::train
