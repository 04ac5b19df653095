// Data augmentation of a training patch (as nnU-Net's default pipeline,
// scaled down): a random rotation about a random axis and an isotropic scale,
// sampled by trilinear interpolation (label: nearest) from a larger region;
// mirroring per axis; per-channel Gaussian blur, simulated low resolution,
// intensity scale/shift, gamma and Gaussian noise. Every draw comes from the
// caller's Rng, in a fixed order, so a patch is a pure function of its seed.
#pragma once

#include <cstdint>

#include "lib/config/AugmentConfig.h"
#include "lib/core/Random.h"
#include "lib/core/Volume.h"

namespace mst::cache {

struct SpatialTransform {
  bool active = false;                     // rotation or scaling drawn
  double scale = 1.0;
  double R[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};  // row-major rotation
  // Half-width of the cube a patch of size `patch` reaches into under this transform.
  int64_t reach(const Size3& patch) const;
};

// Draws whether to rotate and scale, then the scale and the rotation.
SpatialTransform drawSpatial(Rng& rng, const AugmentConfig& a);

// Samples the transformed patch (size `patch`, `channels` images + label) from a
// region of size (2 * half + 1)^3 centred on the patch centre.
void resamplePatch(const SpatialTransform& t, const float* region, const uint8_t* regionLabel, int64_t half,
                   const Size3& patch, int channels, float* image, uint8_t* label);

// Mirroring per axis, then intensity augmentation per channel.
void augmentInPlace(Rng& rng, const AugmentConfig& a, const Size3& patch, int channels, float* image, uint8_t* label);

}  // namespace mst::cache
