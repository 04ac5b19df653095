#include <gtest/gtest.h>

#include "lib/core/Volume.h"

using namespace mst;

TEST(Geometry, IndexToPhysicalAppliesSpacingDirectionAndOrigin) {
  Geometry g;
  g.size = {10, 20, 30};
  g.spacing = {2, 3, 4};
  g.origin = {10, 20, 30};
  g.direction = {-1, 0, 0, 0, -1, 0, 0, 0, 1};  // LPS-flipped x and y, as in RAS-stored NIfTI
  Vec3 p = g.indexToPhysical(1, 2, 3);
  EXPECT_DOUBLE_EQ(p[0], 10 - 2);
  EXPECT_DOUBLE_EQ(p[1], 20 - 6);
  EXPECT_DOUBLE_EQ(p[2], 30 + 12);
  Vec3 idx = g.physicalToIndex(p);
  EXPECT_NEAR(idx[0], 1, 1e-12);
  EXPECT_NEAR(idx[1], 2, 1e-12);
  EXPECT_NEAR(idx[2], 3, 1e-12);
}

TEST(Geometry, BoundsCoverOuterVoxelEdges) {
  Geometry g;
  g.size = {4, 4, 4};
  g.spacing = {1, 1, 2};
  auto b = g.physicalBounds();
  EXPECT_DOUBLE_EQ(b[0][0], -0.5);
  EXPECT_DOUBLE_EQ(b[1][0], 3.5);
  EXPECT_DOUBLE_EQ(b[0][2], -1.0);
  EXPECT_DOUBLE_EQ(b[1][2], 7.0);
}

TEST(Geometry, SameGridDetectsOriginShift) {
  Geometry a, b;
  a.size = b.size = {5, 5, 5};
  EXPECT_TRUE(a.sameGrid(b));
  b.origin[1] = 0.5;
  EXPECT_FALSE(a.sameGrid(b));
}

TEST(Volume, LinearIndexIsXFastest) {
  Geometry g;
  g.size = {3, 4, 5};
  FloatVolume v(g);
  EXPECT_EQ(v.index(1, 0, 0), 1u);
  EXPECT_EQ(v.index(0, 1, 0), 3u);
  EXPECT_EQ(v.index(0, 0, 1), 12u);
}
