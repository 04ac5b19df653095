#include "lib/metrics/Components.h"

#include <stdexcept>

namespace mst::metrics {

namespace {

// Union-find over provisional labels, path halving.
struct UnionFind {
  std::vector<int32_t> parent{0};
  int32_t make() {
    parent.push_back(static_cast<int32_t>(parent.size()));
    return parent.back();
  }
  int32_t find(int32_t x) {
    while (parent[x] != x) {
      parent[x] = parent[parent[x]];
      x = parent[x];
    }
    return x;
  }
  void unite(int32_t a, int32_t b) {
    a = find(a);
    b = find(b);
    if (a == b) return;
    if (a < b) parent[b] = a;
    else parent[a] = b;
  }
};

struct Offset {
  int dx, dy, dz;
};

// Neighbours already visited in a raster scan (z, y, x ascending).
std::vector<Offset> backwardNeighbours(int connectivity) {
  std::vector<Offset> out;
  for (int dz = -1; dz <= 0; ++dz)
    for (int dy = -1; dy <= 1; ++dy)
      for (int dx = -1; dx <= 1; ++dx) {
        if (dz == 0 && (dy > 0 || (dy == 0 && dx >= 0))) continue;
        const int manhattan = std::abs(dx) + std::abs(dy) + std::abs(dz);
        if (connectivity == 6 && manhattan > 1) continue;
        if (connectivity == 18 && manhattan > 2) continue;
        out.push_back({dx, dy, dz});
      }
  return out;
}

}  // namespace

Components labelComponents(const uint8_t* mask, const Size3& size, int connectivity) {
  if (connectivity != 6 && connectivity != 18 && connectivity != 26)
    throw std::invalid_argument("connectivity must be 6, 18 or 26, got " + std::to_string(connectivity));
  const int64_t nx = size[0], ny = size[1], nz = size[2];
  Components c;
  c.size = size;
  c.labels.assign(static_cast<size_t>(nx * ny * nz), 0);
  UnionFind uf;
  const auto nbrs = backwardNeighbours(connectivity);
  // Pass 1: provisional labels, equivalences recorded. Two-pass labelling is
  // cache-friendly (one raster sweep) and needs no queue.
  for (int64_t z = 0; z < nz; ++z)
    for (int64_t y = 0; y < ny; ++y) {
      const int64_t row = nx * (y + ny * z);
      for (int64_t x = 0; x < nx; ++x) {
        if (!mask[row + x]) continue;
        int32_t lab = 0;
        for (const auto& o : nbrs) {
          const int64_t xx = x + o.dx, yy = y + o.dy, zz = z + o.dz;
          if (xx < 0 || yy < 0 || zz < 0 || xx >= nx || yy >= ny) continue;
          const int32_t l = c.labels[static_cast<size_t>(xx + nx * (yy + ny * zz))];
          if (!l) continue;
          if (!lab) lab = l;
          else if (l != lab) uf.unite(lab, l);
        }
        c.labels[static_cast<size_t>(row + x)] = lab ? lab : uf.make();
      }
    }
  // Pass 2: final labels numbered by first appearance in memory order.
  std::vector<int32_t> finalOf(uf.parent.size(), 0);
  c.voxels.assign(1, 0);
  for (auto& l : c.labels) {
    if (!l) continue;
    const int32_t root = uf.find(l);
    if (!finalOf[root]) {
      finalOf[root] = static_cast<int32_t>(c.voxels.size());
      c.voxels.push_back(0);
    }
    l = finalOf[root];
    ++c.voxels[l];
  }
  return c;
}

void removeSmall(Components& c, int64_t minVoxels) {
  if (minVoxels <= 1) return;
  std::vector<int32_t> remap(c.voxels.size(), 0);
  std::vector<int64_t> kept{0};
  for (size_t l = 1; l < c.voxels.size(); ++l)
    if (c.voxels[l] >= minVoxels) {
      remap[l] = static_cast<int32_t>(kept.size());
      kept.push_back(c.voxels[l]);
    }
  for (auto& l : c.labels) l = remap[l];
  c.voxels = std::move(kept);
}

std::vector<uint8_t> toMask(const Components& c) {
  std::vector<uint8_t> m(c.labels.size());
  for (size_t i = 0; i < m.size(); ++i) m[i] = c.labels[i] != 0;
  return m;
}

MaskVolume binarize(const FloatVolume& prob, double threshold, int64_t minComponentVoxels) {
  MaskVolume m(prob.geom, 0);
  for (size_t i = 0; i < prob.data.size(); ++i) m.data[i] = prob.data[i] >= threshold ? 1 : 0;
  if (minComponentVoxels > 1) {
    auto c = labelComponents(m, 26);
    removeSmall(c, minComponentVoxels);
    m.data = toMask(c);
  }
  return m;
}

}  // namespace mst::metrics
