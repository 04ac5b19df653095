#include "lib/preprocess/Resample.h"

#include <cmath>
#include <cstdint>

namespace mst::preprocess {

template <class T>
Volume<T> resampleOnto(const Volume<T>& src, const Geometry& target, bool linear, T outside) {
  Volume<T> out(target, outside);
  const int64_t nx = src.nx(), ny = src.ny(), nz = src.nz();
  for (int64_t k = 0; k < target.size[2]; ++k)
    for (int64_t j = 0; j < target.size[1]; ++j)
      for (int64_t i = 0; i < target.size[0]; ++i) {
        const Vec3 c = src.geom.physicalToIndex(target.indexToPhysical(static_cast<double>(i), static_cast<double>(j),
                                                                       static_cast<double>(k)));
        T& dst = out.at(i, j, k);
        if (!linear) {
          const int64_t x = std::llround(c[0]), y = std::llround(c[1]), z = std::llround(c[2]);
          if (src.inside(x, y, z)) dst = src.at(x, y, z);
          continue;
        }
        // Trilinear; a point within half a voxel of the edge clamps to the edge value.
        if (c[0] < -0.5 || c[1] < -0.5 || c[2] < -0.5 || c[0] > nx - 0.5 || c[1] > ny - 0.5 || c[2] > nz - 0.5) continue;
        const double cx = std::min(std::max(c[0], 0.0), nx - 1.0), cy = std::min(std::max(c[1], 0.0), ny - 1.0),
                     cz = std::min(std::max(c[2], 0.0), nz - 1.0);
        const int64_t x0 = static_cast<int64_t>(std::floor(cx)), y0 = static_cast<int64_t>(std::floor(cy)),
                      z0 = static_cast<int64_t>(std::floor(cz));
        const int64_t x1 = std::min(x0 + 1, nx - 1), y1 = std::min(y0 + 1, ny - 1), z1 = std::min(z0 + 1, nz - 1);
        const double tx = cx - x0, ty = cy - y0, tz = cz - z0;
        const double v = (1 - tz) * ((1 - ty) * ((1 - tx) * src.at(x0, y0, z0) + tx * src.at(x1, y0, z0)) +
                                     ty * ((1 - tx) * src.at(x0, y1, z0) + tx * src.at(x1, y1, z0))) +
                         tz * ((1 - ty) * ((1 - tx) * src.at(x0, y0, z1) + tx * src.at(x1, y0, z1)) +
                               ty * ((1 - tx) * src.at(x0, y1, z1) + tx * src.at(x1, y1, z1)));
        dst = static_cast<T>(v);
      }
  return out;
}

template <class T>
Volume<T> reorientCanonical(const Volume<T>& src) {
  const auto& d = src.geom.direction;
  // For each output axis a (L, P, S), the input axis whose direction is most aligned with it, and its sign.
  int axisOf[3] = {-1, -1, -1};
  int sign[3] = {1, 1, 1};
  bool used[3] = {false, false, false};
  for (int pass = 0; pass < 3; ++pass) {
    double best = -1;
    int bestA = 0, bestC = 0;
    for (int a = 0; a < 3; ++a) {
      if (axisOf[a] >= 0) continue;
      for (int c = 0; c < 3; ++c) {
        if (used[c]) continue;
        if (std::abs(d[3 * a + c]) > best) {
          best = std::abs(d[3 * a + c]);
          bestA = a;
          bestC = c;
        }
      }
    }
    axisOf[bestA] = bestC;
    used[bestC] = true;
    sign[bestA] = d[3 * bestA + bestC] < 0 ? -1 : 1;
  }
  Geometry g;
  for (int a = 0; a < 3; ++a) {
    g.size[a] = src.geom.size[axisOf[a]];
    g.spacing[a] = src.geom.spacing[axisOf[a]];
  }
  // New direction columns: the old axis directions, flipped where needed.
  for (int a = 0; a < 3; ++a)
    for (int r = 0; r < 3; ++r) g.direction[3 * r + a] = sign[a] * d[3 * r + axisOf[a]];
  // New origin: the old voxel that becomes index (0, 0, 0).
  double start[3];
  for (int a = 0; a < 3; ++a) start[axisOf[a]] = sign[a] > 0 ? 0.0 : static_cast<double>(src.geom.size[axisOf[a]] - 1);
  g.origin = src.geom.indexToPhysical(start[0], start[1], start[2]);
  Volume<T> out(g);
  for (int64_t k = 0; k < g.size[2]; ++k)
    for (int64_t j = 0; j < g.size[1]; ++j)
      for (int64_t i = 0; i < g.size[0]; ++i) {
        const int64_t idx[3] = {i, j, k};
        int64_t s[3];
        for (int a = 0; a < 3; ++a) s[axisOf[a]] = sign[a] > 0 ? idx[a] : src.geom.size[axisOf[a]] - 1 - idx[a];
        out.at(i, j, k) = src.at(s[0], s[1], s[2]);
      }
  return out;
}

template Volume<float> resampleOnto(const Volume<float>&, const Geometry&, bool, float);
template Volume<uint8_t> resampleOnto(const Volume<uint8_t>&, const Geometry&, bool, uint8_t);
template Volume<float> reorientCanonical(const Volume<float>&);
template Volume<uint8_t> reorientCanonical(const Volume<uint8_t>&);

}  // namespace mst::preprocess
