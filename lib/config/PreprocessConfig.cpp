#include "lib/config/PreprocessConfig.h"

#include "lib/core/Error.h"

namespace mst::preprocess {

void PreprocessConfig::validate(const std::string& where) const {
  ProblemList p;
  for (auto& c : config::checkChoices(*this, where)) p.add(c);
  if (channels.empty()) p.add(where + "channels: expected at least one input channel");
  for (int a = 0; a < 3; ++a)
    if (targetSpacingMm[a] < 0 || targetSpacingMm[a] > 10)
      p.add(where + "target_spacing: expected values in [0, 10] mm (0 keeps the axis), got " +
            std::to_string(targetSpacingMm[a]));
  if (!(clipLow >= 0 && clipLow < clipHigh && clipHigh <= 100))
    p.add(where + "clip_percentiles: expected 0 <= low < high <= 100, got [" + std::to_string(clipLow) + ", " +
          std::to_string(clipHigh) + "]");
  if (cropMarginVoxels < 0) p.add(where + "crop_margin: expected >= 0 voxels, got " + std::to_string(cropMarginVoxels));
  for (int a = 0; a < 3; ++a)
    if (chunk[a] < 8 || chunk[a] > 256) p.add(where + "chunk: expected 8..256 voxels per axis, got " + std::to_string(chunk[a]));
  p.throwIfAny();
}

}  // namespace mst::preprocess
