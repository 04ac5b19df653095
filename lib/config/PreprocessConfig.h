// Preprocessing settings ([preprocess]; see lib/preprocess/Preprocess.h for the steps).
#pragma once

#include <string>
#include <vector>

#include "lib/config/Fields.h"
#include "lib/core/Volume.h"

namespace mst::preprocess {

struct PreprocessConfig {
  std::vector<std::string> channels;          // input channels, in network order
  Vec3 targetSpacingMm{0, 0, 0};              // 0 = keep the reference grid's spacing on that axis
  std::string interpolation = "linear";       // "linear" or "bspline" (images); masks always nearest
  bool reorient = true;
  bool crop = true;
  int cropMarginVoxels = 4;
  std::string normalization = "zscore";       // "zscore" or "none"
  double clipLow = 0.5, clipHigh = 99.5;      // percentiles, before the z-score
  bool n4 = false;
  std::string storage = "float32";            // cache image type: "float32" or "float16"
  Size3 chunk{32, 32, 32};                    // cache chunk (x, y, z), about the patch size

  // Throws InputError naming the field (prefix `where`, e.g. "exp.toml: [preprocess] ").
  void validate(const std::string& where) const;

  template <class V>
  void fields(V& v) {
    using namespace config;
    v("channels", channels, kDerived);
    v("target_spacing", targetSpacingMm);
    v.choice("interpolation", interpolation, {"linear", "bspline"});
    v("reorient", reorient);
    v("crop", crop);
    v("crop_margin", cropMarginVoxels);
    v.choice("normalization", normalization, {"zscore", "none"});
    v.pair("clip_percentiles", clipLow, clipHigh);
    v("n4", n4);
    v.choice("storage", storage, {"float32", "float16"});
    v("chunk", chunk);
  }
};

}  // namespace mst::preprocess
