// Learning-rate schedule (no torch): the factor applied to every group's base
// learning rate at iteration `it` (0-based). Linear warm-up over `warmup`
// iterations, then poly ((1 - t)^0.9, nnU-Net), cosine or constant.
#pragma once

#include <cstdint>

#include "lib/config/TrainConfig.h"

namespace mst::train {

double scheduleFactor(const TrainConfig& c, int64_t it);

}  // namespace mst::train
