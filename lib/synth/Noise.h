// Deterministic smooth random functions for the phantoms: hashing, value
// noise and a small seeded RNG wrapper.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>

#include "lib/core/Random.h"
#include "lib/core/Volume.h"

namespace mst::synth {

using mst::mix64;
using mst::Rng;

// 3D value noise in [-1, 1], smooth (C1), lattice spacing 1.
class ValueNoise {
 public:
  explicit ValueNoise(uint64_t seed = 1) : seed_(mix64(seed)) {}
  double operator()(double x, double y, double z) const {
    const double fx = std::floor(x), fy = std::floor(y), fz = std::floor(z);
    const int64_t ix = static_cast<int64_t>(fx), iy = static_cast<int64_t>(fy), iz = static_cast<int64_t>(fz);
    const double tx = fade(x - fx), ty = fade(y - fy), tz = fade(z - fz);
    double c[2][2][2];
    for (int a = 0; a < 2; ++a)
      for (int b = 0; b < 2; ++b)
        for (int d = 0; d < 2; ++d) c[a][b][d] = lattice(ix + a, iy + b, iz + d);
    auto lerp = [](double u, double v, double t) { return u + (v - u) * t; };
    const double x00 = lerp(c[0][0][0], c[1][0][0], tx), x10 = lerp(c[0][1][0], c[1][1][0], tx);
    const double x01 = lerp(c[0][0][1], c[1][0][1], tx), x11 = lerp(c[0][1][1], c[1][1][1], tx);
    return lerp(lerp(x00, x10, ty), lerp(x01, x11, ty), tz);
  }
  // Two octaves, roughly in [-1, 1].
  double fbm(double x, double y, double z) const {
    return 0.67 * (*this)(x, y, z) + 0.33 * (*this)(2.03 * x + 17.1, 2.03 * y + 3.3, 2.03 * z + 9.7);
  }

 private:
  static double fade(double t) { return t * t * (3 - 2 * t); }
  double lattice(int64_t x, int64_t y, int64_t z) const {
    uint64_t h = mix64(seed_ ^ mix64(static_cast<uint64_t>(x) * 0x100000001b3ULL ^
                                     mix64(static_cast<uint64_t>(y) * 0xc2b2ae3d27d4eb4fULL ^
                                           static_cast<uint64_t>(z) * 0x165667b19e3779f9ULL)));
    return static_cast<double>(h >> 11) * (2.0 / 9007199254740992.0) - 1.0;
  }
  uint64_t seed_;
};

// Partial-volume fraction of a region from its signed distance (mm, negative
// inside) for a voxel of size `width` mm: a linear ramp across one voxel.
inline double pvFraction(double sd, double width) {
  const double f = 0.5 - sd / width;
  return f <= 0 ? 0.0 : (f >= 1 ? 1.0 : f);
}

}  // namespace mst::synth
