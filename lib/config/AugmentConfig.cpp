#include "lib/config/AugmentConfig.h"

#include <utility>
#include "lib/core/Error.h"

namespace mst::cache {

void AugmentConfig::validate(const std::string& where) const {
  ProblemList p;
  for (auto [name, v] : {std::pair<const char*, double>{"flip_prob", flipProb}, {"rotate_prob", rotateProb},
                         {"scale_prob", scaleProb}, {"intensity_prob", intensityProb}, {"gamma_prob", gammaProb},
                         {"noise_prob", noiseProb}})
    if (!(v >= 0 && v <= 1)) p.add(where + name + ": expected a probability in [0, 1], got " + std::to_string(v));
  if (!(scaleMin > 0 && scaleMin <= scaleMax)) p.add(where + "scale_range: expected 0 < min <= max");
  if (!(gammaMin > 0 && gammaMin <= gammaMax)) p.add(where + "gamma_range: expected 0 < min <= max");
  if (maxRotateDeg < 0 || maxRotateDeg > 180) p.add(where + "max_rotate_deg: expected 0..180");
  p.throwIfAny();
}

}  // namespace mst::cache
