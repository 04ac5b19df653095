// Options of the 3D U-Net ([model]; no torch types). Defaults follow
// nnU-Net's plain 3D U-Net, scaled down.
#pragma once

#include <string>

#include "lib/config/Fields.h"

namespace mst::model {

struct UNetOptions {
  int inChannels = 1;
  int outChannels = 1;           // sigmoid outputs (binary lesion segmentation: 1)
  int baseFilters = 8;           // filters at the first level, doubled per level
  int maxFilters = 320;
  int depth = 3;                 // resolution levels (2..6); depth 3 = two downsamplings
  std::string norm = "instance"; // "instance" (affine), "batch" or "group" (8 groups)
  double dropout = 0.0;          // 3D dropout after the first convolution of each block
  std::string upsampling = "transposed";  // "transposed" (2x2x2, stride 2) or "trilinear" (+ 1x1x1 conv)
  bool deepSupervision = false;  // extra 1x1x1 heads on the decoder levels below full resolution

  int filtersAt(int level) const {
    int f = baseFilters << level;
    return f > maxFilters ? maxFilters : f;
  }
  void validate(const std::string& where) const;  // throws InputError naming the field

  template <class V>
  void fields(V& v) {
    using namespace config;
    v("in_channels", inChannels, kDerived);
    v("out_channels", outChannels, kDerived);
    v("base_filters", baseFilters);
    v("max_filters", maxFilters);
    v("depth", depth);
    v.choice("norm", norm, {"instance", "batch", "group"});
    v("dropout", dropout);
    v.choice("upsampling", upsampling, {"transposed", "trilinear"});
    v("deep_supervision", deepSupervision);
  }
};

}  // namespace mst::model
