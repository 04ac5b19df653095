#include "lib/config/AugmentConfig.h"

#include <utility>
#include "lib/core/Error.h"

namespace mst::cache {

void AugmentConfig::validate(const std::string& where) const {
  ProblemList p;
  for (auto [name, v] : {std::pair<const char*, double>{"flip_prob", flipProb}, {"rotate_prob", rotateProb},
                         {"scale_prob", scaleProb}, {"intensity_prob", intensityProb}, {"gamma_prob", gammaProb},
                         {"noise_prob", noiseProb}, {"blur_prob", blurProb}, {"low_res_prob", lowResProb},
                         {"contrast_prob", contrastProb}})
    if (!(v >= 0 && v <= 1)) p.add(where + name + ": expected a probability in [0, 1], got " + std::to_string(v));
  if (!(scaleMin > 0 && scaleMin <= scaleMax)) p.add(where + "scale_range: expected 0 < min <= max");
  if (!(gammaMin > 0 && gammaMin <= gammaMax)) p.add(where + "gamma_range: expected 0 < min <= max");
  if (!(intensityScaleMin > 0 && intensityScaleMin <= intensityScaleMax))
    p.add(where + "intensity_scale: expected 0 < min <= max");
  if (!(intensityShiftMin <= intensityShiftMax)) p.add(where + "intensity_shift: expected min <= max");
  if (!(contrastMin > 0 && contrastMin <= contrastMax)) p.add(where + "contrast_range: expected 0 < min <= max");
  if (!(blurMin >= 0 && blurMin <= blurMax && blurMax <= 5)) p.add(where + "blur_sigma: expected 0 <= min <= max <= 5 voxels");
  if (!(zoomMin > 0 && zoomMin <= zoomMax && zoomMax <= 1)) p.add(where + "zoom_range: expected 0 < min <= max <= 1");
  if (maxRotateDeg < 0 || maxRotateDeg > 180) p.add(where + "max_rotate_deg: expected 0..180");
  p.throwIfAny();
}

}  // namespace mst::cache
