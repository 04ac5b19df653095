#include "lib/train/Schedule.h"

#include <algorithm>
#include <cmath>

namespace mst::train {

double scheduleFactor(const TrainConfig& c, int64_t it, int reductions) {
  if (c.warmup > 0 && it < c.warmup) return static_cast<double>(it + 1) / static_cast<double>(c.warmup);
  const double t = static_cast<double>(it - c.warmup) / static_cast<double>(std::max<int64_t>(1, c.iterations - c.warmup));
  if (c.schedule == "poly") return std::pow(1.0 - t, 0.9);
  if (c.schedule == "cosine") return 0.5 * (1.0 + std::cos(M_PI * t));
  if (c.schedule == "plateau") return std::pow(c.lrFactor, reductions);
  return 1.0;
}

}  // namespace mst::train
