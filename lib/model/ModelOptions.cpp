#include "lib/model/ModelOptions.h"

#include <nlohmann/json.hpp>

#include "lib/core/Error.h"

namespace mst::model {

void UNetOptions::validate(const std::string& where) const {
  ProblemList p;
  if (inChannels < 1) p.add(where + "in_channels: expected >= 1, got " + std::to_string(inChannels));
  if (outChannels < 1) p.add(where + "out_channels: expected >= 1, got " + std::to_string(outChannels));
  if (baseFilters < 1 || baseFilters > 512) p.add(where + "base_filters: expected 1..512, got " + std::to_string(baseFilters));
  if (depth < 2 || depth > 6) p.add(where + "depth: expected 2..6, got " + std::to_string(depth));
  if (norm != "instance" && norm != "batch" && norm != "group")
    p.add(where + "norm: expected 'instance', 'batch' or 'group', got '" + norm + "'");
  if (norm == "group")
    for (int l = 0; l < depth; ++l)
      if (filtersAt(l) % 8) p.add(where + "norm: group normalisation needs filter counts divisible by 8");
  if (!(dropout >= 0 && dropout < 1)) p.add(where + "dropout: expected [0, 1), got " + std::to_string(dropout));
  if (upsampling != "transposed" && upsampling != "trilinear")
    p.add(where + "upsampling: expected 'transposed' or 'trilinear', got '" + upsampling + "'");
  p.throwIfAny();
}

std::string UNetOptions::toJson() const {
  nlohmann::json j = {{"in_channels", inChannels}, {"out_channels", outChannels}, {"base_filters", baseFilters},
                      {"max_filters", maxFilters}, {"depth", depth}, {"norm", norm}, {"dropout", dropout},
                      {"upsampling", upsampling}, {"deep_supervision", deepSupervision}};
  return j.dump();
}

UNetOptions UNetOptions::fromJson(const std::string& text) {
  UNetOptions o;
  try {
    auto j = nlohmann::json::parse(text);
    o.inChannels = j.at("in_channels");
    o.outChannels = j.at("out_channels");
    o.baseFilters = j.at("base_filters");
    o.maxFilters = j.value("max_filters", 320);
    o.depth = j.at("depth");
    o.norm = j.at("norm");
    o.dropout = j.value("dropout", 0.0);
    o.upsampling = j.value("upsampling", std::string("transposed"));
    o.deepSupervision = j.value("deep_supervision", false);
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("model options: ") + e.what());
  }
  return o;
}

}  // namespace mst::model
