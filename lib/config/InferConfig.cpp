#include "lib/config/InferConfig.h"

#include "lib/core/Error.h"
#include "lib/core/Log.h"

namespace mst::infer {

void InferConfig::validate(const std::string& where) const {
  ProblemList p;
  for (auto& c : config::checkChoices(*this, where)) p.add(c);
  if (!(overlap >= 0 && overlap < 1)) p.add(where + "overlap: expected [0, 1), got " + log::cat(overlap));
  if (!(threshold > 0 && threshold < 1)) p.add(where + "threshold: expected (0, 1), got " + log::cat(threshold));
  if (windowBatch < 1) p.add(where + "window_batch: expected >= 1");
  for (auto w : window)
    if (w < 0) p.add(where + "window: expected sizes >= 0 (0: the training patch), got " + std::to_string(w));
  if (minComponentVoxels < 0) p.add(where + "min_component_voxels: expected >= 0");
  for (auto c : minComponentChoices)
    if (c < 0) p.add(where + "min_component_choices: expected sizes >= 0, got " + std::to_string(c));
  for (int a : mirrorAxes)
    if (a < 0 || a > 2) p.add(where + "mirror_axes: expected axes 0 (x), 1 (y), 2 (z), got " + std::to_string(a));
  p.throwIfAny();
}

Size3 InferConfig::windowFor(const Size3& patch) const {
  Size3 w = patch;
  for (size_t a = 0; a < 3; ++a)
    if (window[a] > 0) w[a] = window[a];
  return w;
}

}  // namespace mst::infer
