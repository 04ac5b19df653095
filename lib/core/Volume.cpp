#include "lib/core/Volume.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

namespace mst {

Vec3 Geometry::indexToPhysical(double i, double j, double k) const {
  const double s[3] = {i * spacing[0], j * spacing[1], k * spacing[2]};
  Vec3 p;
  for (int r = 0; r < 3; ++r)
    p[r] = origin[r] + direction[3 * r] * s[0] + direction[3 * r + 1] * s[1] + direction[3 * r + 2] * s[2];
  return p;
}

Vec3 Geometry::physicalToIndex(const Vec3& p) const {
  // Invert the 3x3 direction matrix (general inverse: directions need not be orthonormal).
  const auto& d = direction;
  const double det = d[0] * (d[4] * d[8] - d[5] * d[7]) - d[1] * (d[3] * d[8] - d[5] * d[6]) +
                     d[2] * (d[3] * d[7] - d[4] * d[6]);
  const double inv[9] = {
      (d[4] * d[8] - d[5] * d[7]) / det, (d[2] * d[7] - d[1] * d[8]) / det, (d[1] * d[5] - d[2] * d[4]) / det,
      (d[5] * d[6] - d[3] * d[8]) / det, (d[0] * d[8] - d[2] * d[6]) / det, (d[2] * d[3] - d[0] * d[5]) / det,
      (d[3] * d[7] - d[4] * d[6]) / det, (d[1] * d[6] - d[0] * d[7]) / det, (d[0] * d[4] - d[1] * d[3]) / det};
  const double q[3] = {p[0] - origin[0], p[1] - origin[1], p[2] - origin[2]};
  Vec3 idx;
  for (int r = 0; r < 3; ++r) idx[r] = (inv[3 * r] * q[0] + inv[3 * r + 1] * q[1] + inv[3 * r + 2] * q[2]) / spacing[r];
  return idx;
}

std::array<Vec3, 2> Geometry::physicalBounds() const {
  Vec3 lo{std::numeric_limits<double>::max(), std::numeric_limits<double>::max(), std::numeric_limits<double>::max()};
  Vec3 hi{-lo[0], -lo[1], -lo[2]};
  for (int c = 0; c < 8; ++c) {
    const double i = (c & 1) ? size[0] - 0.5 : -0.5;
    const double j = (c & 2) ? size[1] - 0.5 : -0.5;
    const double k = (c & 4) ? size[2] - 0.5 : -0.5;
    const Vec3 p = indexToPhysical(i, j, k);
    for (int r = 0; r < 3; ++r) {
      lo[r] = std::min(lo[r], p[r]);
      hi[r] = std::max(hi[r], p[r]);
    }
  }
  return {lo, hi};
}

bool Geometry::sameGrid(const Geometry& o, double tol) const {
  if (size != o.size) return false;
  for (int r = 0; r < 3; ++r) {
    if (std::abs(spacing[r] - o.spacing[r]) > tol * std::max(1.0, spacing[r])) return false;
    if (std::abs(origin[r] - o.origin[r]) > tol * std::max(1.0, spacing[r]) * 10) return false;
  }
  for (int r = 0; r < 9; ++r)
    if (std::abs(direction[r] - o.direction[r]) > tol) return false;
  return true;
}

std::string Geometry::describe() const {
  std::ostringstream os;
  os << size[0] << "x" << size[1] << "x" << size[2] << " @ " << spacing[0] << "x" << spacing[1] << "x" << spacing[2]
     << " mm, origin (" << origin[0] << ", " << origin[1] << ", " << origin[2] << ")";
  return os.str();
}

}  // namespace mst
