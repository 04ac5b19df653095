#include <gtest/gtest.h>

#include "lib/metrics/Components.h"
#include "tests/support/TestSupport.h"

using namespace mst;
using namespace mst::metrics;

namespace {
MaskVolume empty(int n = 8) { return MaskVolume(test::cubeGeometry(n), 0); }
}  // namespace

TEST(Components, FaceEdgeAndCornerNeighboursDependOnConnectivity) {
  MaskVolume m = empty();
  m.at(1, 1, 1) = 1;
  m.at(2, 1, 1) = 1;  // face neighbour of (1,1,1)
  m.at(3, 2, 1) = 1;  // edge neighbour of (2,1,1)
  m.at(4, 3, 2) = 1;  // corner neighbour of (3,2,1)
  EXPECT_EQ(labelComponents(m, 6).count(), 3);
  EXPECT_EQ(labelComponents(m, 18).count(), 2);
  EXPECT_EQ(labelComponents(m, 26).count(), 1);
}

TEST(Components, UShapeMergesIntoOneComponentAcrossBothPasses) {
  // Two arms that only join at the bottom row: pass 1 sees two labels, the union joins them.
  MaskVolume m = empty();
  for (int y = 0; y < 6; ++y) {
    m.at(1, y, 3) = 1;
    m.at(5, y, 3) = 1;
  }
  for (int x = 1; x <= 5; ++x) m.at(x, 5, 3) = 1;
  Components c = labelComponents(m, 6);
  ASSERT_EQ(c.count(), 1);
  EXPECT_EQ(c.voxels[1], 6 + 6 + 3);
}

TEST(Components, LabelsNumberedByFirstVoxelAndSizesCounted) {
  MaskVolume m = empty();
  m.at(6, 0, 0) = 1;
  m.at(0, 0, 5) = 1;
  m.at(0, 1, 5) = 1;
  Components c = labelComponents(m, 26);
  ASSERT_EQ(c.count(), 2);
  EXPECT_EQ(c.labels[m.index(6, 0, 0)], 1);
  EXPECT_EQ(c.voxels[1], 1);
  EXPECT_EQ(c.voxels[2], 2);
}

TEST(Components, RemoveSmallRenumbersKeptComponents) {
  MaskVolume m = empty();
  m.at(0, 0, 0) = 1;  // 1 voxel
  for (int x = 3; x < 7; ++x) m.at(x, 4, 4) = 1;  // 4 voxels
  Components c = labelComponents(m, 6);
  removeSmall(c, 3);
  ASSERT_EQ(c.count(), 1);
  EXPECT_EQ(c.labels[m.index(0, 0, 0)], 0);
  EXPECT_EQ(c.labels[m.index(3, 4, 4)], 1);
}

TEST(Components, RejectsInvalidConnectivity) {
  MaskVolume m = empty();
  EXPECT_THROW(labelComponents(m, 8), std::invalid_argument);
}
