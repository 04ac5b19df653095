// Seeded randomness shared by the synthetic data, the patch sampler and
// the sweep: splitmix64 mixing and a small RNG wrapper (std::mt19937_64).
// Distributions from <random> are implementation-defined across standard
// libraries, so byte-identical outputs are guaranteed for one toolchain.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>

#include "lib/core/Volume.h"

namespace mst {

inline uint64_t mix64(uint64_t x) {  // splitmix64 finaliser
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

class Rng {
 public:
  explicit Rng(uint64_t seed) : gen_(mix64(seed)) {}
  double uniform(double a, double b) { return std::uniform_real_distribution<double>(a, b)(gen_); }
  int integer(int a, int b) { return std::uniform_int_distribution<int>(a, b)(gen_); }  // inclusive
  double normal(double m, double s) { return std::normal_distribution<double>(m, s)(gen_); }
  bool chance(double p) { return uniform(0, 1) < p; }
  double beta(double a, double b) {
    const double x = std::gamma_distribution<double>(a, 1.0)(gen_);
    const double y = std::gamma_distribution<double>(b, 1.0)(gen_);
    return x / (x + y);
  }
  Vec3 unitVector() {
    Vec3 v;
    double n;
    do {
      v = {normal(0, 1), normal(0, 1), normal(0, 1)};
      n = std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
    } while (n < 1e-6);
    return {v[0] / n, v[1] / n, v[2] / n};
  }
  uint64_t next() { return gen_(); }
  std::mt19937_64& engine() { return gen_; }

 private:
  std::mt19937_64 gen_;
};

}  // namespace mst
