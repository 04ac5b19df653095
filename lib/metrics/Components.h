// Connected-component labelling of binary 3D masks (no torch, no ITK).
//
// Layout as mst::Volume: x fastest. Connectivity 6 (faces), 18 (faces and
// edges) or 26 (faces, edges and corners). Labels are 1..count in the order
// of each component's first voxel in memory order (x fastest); 0 is background.
#pragma once

#include <cstdint>
#include <vector>

#include "lib/core/Volume.h"

namespace mst::metrics {

struct Components {
  Size3 size{0, 0, 0};
  std::vector<int32_t> labels;   // per voxel, 0 = background
  std::vector<int64_t> voxels;   // voxels[c] for label c (index 0 unused, = 0)
  int32_t count() const { return static_cast<int32_t>(voxels.size()) - 1; }
};

// Throws std::invalid_argument for a connectivity other than 6, 18, 26.
Components labelComponents(const uint8_t* mask, const Size3& size, int connectivity);
inline Components labelComponents(const MaskVolume& m, int connectivity) {
  return labelComponents(m.data.data(), m.geom.size, connectivity);
}

// Removes components with fewer than minVoxels voxels and renumbers the rest
// (order kept). minVoxels <= 1 keeps everything.
void removeSmall(Components& c, int64_t minVoxels);

// Mask of the kept components.
std::vector<uint8_t> toMask(const Components& c);

// The predictor's mask of a probability map: voxels >= threshold, then 26-connected components of
// fewer than minComponentVoxels voxels removed (<= 1 keeps all). Shared by prediction, validation
// and the threshold sweep of evaluation, so that all three binarise alike.
MaskVolume binarize(const FloatVolume& probability, double threshold, int64_t minComponentVoxels);

}  // namespace mst::metrics
