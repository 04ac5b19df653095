#include "lib/config/ModelConfig.h"

#include "lib/core/Error.h"

namespace mst::model {

void UNetOptions::validate(const std::string& where) const {
  ProblemList p;
  for (auto& c : config::checkChoices(*this, where)) p.add(c);
  if (inChannels < 1) p.add(where + "in_channels: expected >= 1, got " + std::to_string(inChannels));
  if (outChannels < 1) p.add(where + "out_channels: expected >= 1, got " + std::to_string(outChannels));
  if (baseFilters < 1 || baseFilters > 512) p.add(where + "base_filters: expected 1..512, got " + std::to_string(baseFilters));
  if (depth < 2 || depth > 6) p.add(where + "depth: expected 2..6, got " + std::to_string(depth));
  if (norm == "group")
    for (int l = 0; l < depth; ++l)
      if (filtersAt(l) % 8) p.add(where + "norm: group normalisation needs filter counts divisible by 8");
  if (!(dropout >= 0 && dropout < 1)) p.add(where + "dropout: expected [0, 1), got " + std::to_string(dropout));
  p.throwIfAny();
}

}  // namespace mst::model
