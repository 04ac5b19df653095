#include "lib/experiment/Sections.h"

namespace mst::experiment {

preprocess::PreprocessConfig readPreprocess(Section& s, const std::vector<std::string>& channels) {
  preprocess::PreprocessConfig c;
  c.channels = channels;
  c.targetSpacingMm = s.vec3("target_spacing", c.targetSpacingMm);
  c.interpolation = s.choice("interpolation", c.interpolation, {"linear", "bspline"});
  c.reorient = s.boolean("reorient", c.reorient);
  c.crop = s.boolean("crop", c.crop);
  c.cropMarginVoxels = static_cast<int>(s.integer("crop_margin", c.cropMarginVoxels));
  c.normalization = s.choice("normalization", c.normalization, {"zscore", "none"});
  auto clip = s.numbers("clip_percentiles", {c.clipLow, c.clipHigh});
  if (clip.size() == 2) {
    c.clipLow = clip[0];
    c.clipHigh = clip[1];
  } else {
    s.problem("clip_percentiles", "expected [low, high]");
  }
  c.n4 = s.boolean("n4", c.n4);
  c.storage = s.choice("storage", c.storage, {"float32", "float16"});
  c.chunk = s.size3("chunk", c.chunk);
  return c;
}

}  // namespace mst::experiment
