#include "lib/cache/Augment.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

namespace mst::cache {

namespace {

// Trilinear interpolation of at(x, y, z) between the corner (x0, y0, z0) and its +1 neighbours.
template <class At>
double trilinear(const At& at, int64_t x0, int64_t y0, int64_t z0, double tx, double ty, double tz) {
  return (1 - tz) * ((1 - ty) * ((1 - tx) * at(x0, y0, z0) + tx * at(x0 + 1, y0, z0)) +
                     ty * ((1 - tx) * at(x0, y0 + 1, z0) + tx * at(x0 + 1, y0 + 1, z0))) +
         tz * ((1 - ty) * ((1 - tx) * at(x0, y0, z0 + 1) + tx * at(x0 + 1, y0, z0 + 1)) +
               ty * ((1 - tx) * at(x0, y0 + 1, z0 + 1) + tx * at(x0 + 1, y0 + 1, z0 + 1)));
}

}  // namespace

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
          const double v = trilinear(at, x0, y0, z0, tx, ty, tz);
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

// Separable Gaussian blur of one channel (edges clamped), sigma in voxels.
void blur(const Size3& P, double sigma, float* x) {
  const int r = std::max(1, static_cast<int>(std::ceil(3 * sigma)));
  std::vector<double> w(2 * r + 1);
  double sum = 0;
  for (int i = -r; i <= r; ++i) sum += w[i + r] = std::exp(-0.5 * i * i / (sigma * sigma));
  for (auto& v : w) v /= sum;
  const int64_t stride[3] = {1, P[0], P[0] * P[1]};
  std::vector<float> line;
  for (int axis = 0; axis < 3; ++axis) {
    const int64_t n = P[axis];
    line.resize(static_cast<size_t>(n));
    const int a1 = (axis + 1) % 3, a2 = (axis + 2) % 3;
    for (int64_t u = 0; u < P[a1]; ++u)
      for (int64_t v = 0; v < P[a2]; ++v) {
        float* base = x + u * stride[a1] + v * stride[a2];
        for (int64_t i = 0; i < n; ++i) line[i] = base[i * stride[axis]];
        for (int64_t i = 0; i < n; ++i) {
          double acc = 0;
          for (int k = -r; k <= r; ++k) acc += w[k + r] * line[std::clamp<int64_t>(i + k, 0, n - 1)];
          base[i * stride[axis]] = static_cast<float>(acc);
        }
      }
  }
}

// Simulated low resolution: nearest-neighbour samples on a grid `zoom` times as fine, read back by
// trilinear interpolation.
void lowRes(const Size3& P, double zoom, float* x) {
  Size3 L;
  for (int a = 0; a < 3; ++a) L[a] = std::max<int64_t>(1, std::lround(P[a] * zoom));
  std::vector<float> low(static_cast<size_t>(L[0] * L[1] * L[2]));
  auto srcIndex = [&](int a, int64_t i) { return std::min<int64_t>(P[a] - 1, std::lround((i + 0.5) * P[a] / L[a] - 0.5)); };
  for (int64_t k = 0; k < L[2]; ++k)
    for (int64_t j = 0; j < L[1]; ++j)
      for (int64_t i = 0; i < L[0]; ++i)
        low[(k * L[1] + j) * L[0] + i] = x[(srcIndex(2, k) * P[1] + srcIndex(1, j)) * P[0] + srcIndex(0, i)];
  // Low-grid coordinate of output voxel i along axis a: lower neighbour i0 and weight t of the upper one.
  auto coord = [&](int a, int64_t i, int64_t& i0, double& t) {
    const double c = std::clamp((i + 0.5) * L[a] / P[a] - 0.5, 0.0, static_cast<double>(L[a] - 1));
    i0 = std::min<int64_t>(static_cast<int64_t>(c), std::max<int64_t>(0, L[a] - 2));
    t = c - static_cast<double>(i0);
  };
  auto at = [&](int64_t i, int64_t j, int64_t k) {
    return low[(std::min(k, L[2] - 1) * L[1] + std::min(j, L[1] - 1)) * L[0] + std::min(i, L[0] - 1)];
  };
  for (int64_t k = 0; k < P[2]; ++k)
    for (int64_t j = 0; j < P[1]; ++j)
      for (int64_t i = 0; i < P[0]; ++i) {
        int64_t x0, y0, z0;
        double tx, ty, tz;
        coord(0, i, x0, tx);
        coord(1, j, y0, ty);
        coord(2, k, z0, tz);
        const double v = trilinear(at, x0, y0, z0, tx, ty, tz);
        x[(k * P[1] + j) * P[0] + i] = static_cast<float>(v);
      }
}

// Deviations from the patch mean scaled by f, clipped to the patch's range (nnU-Net's preserve_range).
void contrast(double f, int64_t vox, float* x) {
  double sum = 0;
  for (int64_t v = 0; v < vox; ++v) sum += x[v];
  const double mean = sum / static_cast<double>(std::max<int64_t>(1, vox));
  const auto [mn, mx] = std::minmax_element(x, x + vox);
  const double lo = *mn, hi = *mx;
  for (int64_t v = 0; v < vox; ++v) x[v] = static_cast<float>(std::clamp((x[v] - mean) * f + mean, lo, hi));
}

void intensity(Rng& rng, const AugmentConfig& a, const Size3& P, int C, float* image) {
  const int64_t vox = P[0] * P[1] * P[2];
  for (int ch = 0; ch < C; ++ch) {
    float* x = image + ch * vox;
    if (rng.chance(a.blurProb)) blur(P, rng.uniform(a.blurMin, a.blurMax), x);
    if (rng.chance(a.lowResProb)) lowRes(P, rng.uniform(a.zoomMin, a.zoomMax), x);
    if (rng.chance(a.intensityProb)) {
      const double m = rng.uniform(a.intensityScaleMin, a.intensityScaleMax);
      const double sh = rng.uniform(a.intensityShiftMin, a.intensityShiftMax);
      for (int64_t v = 0; v < vox; ++v) x[v] = static_cast<float>(x[v] * m + sh);
    }
    // Drawn only when enabled: with contrast_prob 0 the random stream, and every result, is as before.
    if (a.contrastProb > 0 && rng.chance(a.contrastProb)) contrast(rng.uniform(a.contrastMin, a.contrastMax), vox, x);
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
  intensity(rng, a, patch, channels, image);
}

}  // namespace mst::cache
