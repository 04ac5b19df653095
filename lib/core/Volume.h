// Volume: voxels plus the physical geometry that places them in space.
//
// Axis order follows ITK and NIfTI: index (i, j, k) = (x, y, z), x fastest in
// memory, so data[i + nx * (j + ny * k)]. Seen as an array this is [Z][Y][X],
// the layout of the HDF5 cache and of LibTorch tensors [C, Z, Y, X].
// Physical space is ITK's (LPS, millimetres): p = origin + D * diag(spacing) * index,
// where D (direction, row-major 3x3) holds the axis directions as columns.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace mst {

using Vec3 = std::array<double, 3>;
using Size3 = std::array<int64_t, 3>;

struct Geometry {
  Size3 size{0, 0, 0};
  Vec3 spacing{1.0, 1.0, 1.0};
  Vec3 origin{0.0, 0.0, 0.0};
  std::array<double, 9> direction{1, 0, 0, 0, 1, 0, 0, 0, 1};

  int64_t numVoxels() const { return size[0] * size[1] * size[2]; }
  double voxelVolumeMm3() const { return spacing[0] * spacing[1] * spacing[2]; }
  Vec3 indexToPhysical(double i, double j, double k) const;
  // Continuous index of a physical point (inverse of indexToPhysical).
  Vec3 physicalToIndex(const Vec3& p) const;
  // Axis-aligned physical bounding box {min, max} of the outer voxel edges.
  std::array<Vec3, 2> physicalBounds() const;
  // Same size, and spacing/origin/direction within tolerance (mm, unitless).
  bool sameGrid(const Geometry& other, double tolerance = 1e-3) const;
  std::string describe() const;  // "182x218x182 @ 1x1x1 mm"
};

template <class T>
struct Volume {
  Geometry geom;
  std::vector<T> data;

  Volume() = default;
  explicit Volume(const Geometry& g, T fill = T{}) : geom(g), data(static_cast<size_t>(g.numVoxels()), fill) {}

  int64_t nx() const { return geom.size[0]; }
  int64_t ny() const { return geom.size[1]; }
  int64_t nz() const { return geom.size[2]; }
  size_t index(int64_t i, int64_t j, int64_t k) const {
    return static_cast<size_t>(i + geom.size[0] * (j + geom.size[1] * k));
  }
  T& at(int64_t i, int64_t j, int64_t k) { return data[index(i, j, k)]; }
  const T& at(int64_t i, int64_t j, int64_t k) const { return data[index(i, j, k)]; }
  bool inside(int64_t i, int64_t j, int64_t k) const {
    return i >= 0 && j >= 0 && k >= 0 && i < geom.size[0] && j < geom.size[1] && k < geom.size[2];
  }
};

using FloatVolume = Volume<float>;
using MaskVolume = Volume<uint8_t>;

}  // namespace mst
