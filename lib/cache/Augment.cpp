#include "lib/cache/Augment.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace mst::cache {

int64_t SpatialTransform::reach(const Size3& p) const {
  const double r = scale * std::sqrt(static_cast<double>(p[0] * p[0] + p[1] * p[1] + p[2] * p[2])) / 2 + 2;
  return static_cast<int64_t>(std::ceil(r));
}

SpatialTransform drawSpatial(Rng& rng, const AugmentConfig& a) {
  SpatialTransform t;
  const bool rotate = a.enabled && rng.chance(a.rotateProb);
  const bool scale = a.enabled && rng.chance(a.scaleProb);
  t.active = rotate || scale;
  if (!t.active) return t;
  t.scale = scale ? rng.uniform(a.scaleMin, a.scaleMax) : 1.0;
  if (rotate) {
    const Vec3 axis = rng.unitVector();
    const double ang = rng.uniform(-a.maxRotateDeg, a.maxRotateDeg) * M_PI / 180.0;
    const double co = std::cos(ang), si = std::sin(ang), c1 = 1 - co;
    const double x = axis[0], y = axis[1], z = axis[2];
    const double r[9] = {c1 * x * x + co,     c1 * x * y - si * z, c1 * x * z + si * y,
                         c1 * x * y + si * z, c1 * y * y + co,     c1 * y * z - si * x,
                         c1 * x * z - si * y, c1 * y * z + si * x, c1 * z * z + co};
    std::copy(r, r + 9, t.R);
  }
  return t;
}

void resamplePatch(const SpatialTransform& t, const float* region, const uint8_t* regionLabel, int64_t half,
                   const Size3& patch, int channels, float* image, uint8_t* label) {
  const int64_t px = patch[0], py = patch[1], pz = patch[2], vox = px * py * pz;
  const int64_t side = 2 * half + 1, bvox = side * side * side;
  const double* R = t.R;
  const double s = t.scale;
  for (int64_t k = 0; k < pz; ++k)
    for (int64_t j = 0; j < py; ++j)
      for (int64_t i = 0; i < px; ++i) {
        const double d[3] = {(i - px / 2) * s, (j - py / 2) * s, (k - pz / 2) * s};
        const double q[3] = {half + R[0] * d[0] + R[1] * d[1] + R[2] * d[2], half + R[3] * d[0] + R[4] * d[1] + R[5] * d[2],
                             half + R[6] * d[0] + R[7] * d[1] + R[8] * d[2]};
        const int64_t out = (k * py + j) * px + i;
        const int64_t nx = static_cast<int64_t>(std::lround(q[0])), ny = static_cast<int64_t>(std::lround(q[1])),
                      nz = static_cast<int64_t>(std::lround(q[2]));
        label[out] = regionLabel[(nz * side + ny) * side + nx];
        const int64_t x0 = static_cast<int64_t>(std::floor(q[0])), y0 = static_cast<int64_t>(std::floor(q[1])),
                      z0 = static_cast<int64_t>(std::floor(q[2]));
        const double tx = q[0] - x0, ty = q[1] - y0, tz = q[2] - z0;
        for (int ch = 0; ch < channels; ++ch) {
          const float* src = region + ch * bvox;
          auto at = [&](int64_t x, int64_t y, int64_t z) { return src[(z * side + y) * side + x]; };
          const double v = (1 - tz) * ((1 - ty) * ((1 - tx) * at(x0, y0, z0) + tx * at(x0 + 1, y0, z0)) +
                                       ty * ((1 - tx) * at(x0, y0 + 1, z0) + tx * at(x0 + 1, y0 + 1, z0))) +
                           tz * ((1 - ty) * ((1 - tx) * at(x0, y0, z0 + 1) + tx * at(x0 + 1, y0, z0 + 1)) +
                                 ty * ((1 - tx) * at(x0, y0 + 1, z0 + 1) + tx * at(x0 + 1, y0 + 1, z0 + 1)));
          image[ch * vox + out] = static_cast<float>(v);
        }
      }
}

namespace {

void mirror(Rng& rng, const AugmentConfig& a, const Size3& P, int C, float* image, uint8_t* label) {
  const int64_t px = P[0], py = P[1], pz = P[2], vox = px * py * pz;
  for (int axis = 0; axis < 3; ++axis) {
    if (!rng.chance(a.flipProb)) continue;
    for (int ch = 0; ch <= C; ++ch)
      for (int64_t k = 0; k < pz; ++k)
        for (int64_t j = 0; j < py; ++j)
          for (int64_t i = 0; i < px; ++i) {
            const int64_t idx[3] = {i, j, k};
            if (idx[axis] >= P[axis] / 2) continue;
            int64_t m[3] = {i, j, k};
            m[axis] = P[axis] - 1 - idx[axis];
            const int64_t p = (k * py + j) * px + i, q = (m[2] * py + m[1]) * px + m[0];
            if (ch < C) std::swap(image[ch * vox + p], image[ch * vox + q]);
            else std::swap(label[p], label[q]);
          }
  }
}

void intensity(Rng& rng, const AugmentConfig& a, int64_t vox, int C, float* image) {
  for (int ch = 0; ch < C; ++ch) {
    float* x = image + ch * vox;
    if (rng.chance(a.intensityProb)) {
      const double m = rng.uniform(0.9, 1.1), sh = rng.uniform(-0.1, 0.1);
      for (int64_t v = 0; v < vox; ++v) x[v] = static_cast<float>(x[v] * m + sh);
    }
    if (rng.chance(a.gammaProb)) {
      const double g = rng.uniform(a.gammaMin, a.gammaMax);
      const auto [mn, mx] = std::minmax_element(x, x + vox);
      const double lo = *mn, range = std::max(1e-6, static_cast<double>(*mx) - lo);
      for (int64_t v = 0; v < vox; ++v) x[v] = static_cast<float>(std::pow((x[v] - lo) / range, g) * range + lo);
    }
    if (rng.chance(a.noiseProb)) {
      const double sigma = rng.uniform(0.0, a.noiseMaxSigma);
      for (int64_t v = 0; v < vox; ++v) x[v] = static_cast<float>(x[v] + rng.normal(0, sigma));
    }
  }
}

}  // namespace

void augmentInPlace(Rng& rng, const AugmentConfig& a, const Size3& patch, int channels, float* image, uint8_t* label) {
  if (!a.enabled) return;
  mirror(rng, a, patch, channels, image, label);
  intensity(rng, a, patch[0] * patch[1] * patch[2], channels, image);
}

}  // namespace mst::cache
