// Opt-in cross-check on the real consensus masks in ../shared (skipped when
// absent). Reference counts from scipy.ndimage.label 1.10.1 with
// generate_binary_structure(3, 1|2|3), run on the same files:
//   patient  6-conn 18-conn 26-conn
//   01       408    271     250
//   02       39     26      26
//   03       21     18      18
//   04       144    113     110
//   05       134    88      81
#include <gtest/gtest.h>

#include "lib/io/Nifti.h"
#include "lib/metrics/Components.h"
#include "tests/support/TestSupport.h"

using namespace mst;

TEST(RealMasks, ComponentCountsMatchScipyNdimage) {
  if (!test::sharedDataPresent()) GTEST_SKIP() << "../shared/data/open_ms_data not present";
  const int expected[5][3] = {{408, 271, 250}, {39, 26, 26}, {21, 18, 18}, {144, 113, 110}, {134, 88, 81}};
  for (int i = 0; i < 5; ++i) {
    auto path = test::sharedData() / "cross_sectional" / "masks_only" /
                ("patient0" + std::to_string(i + 1) + "_consensus_gt.nii.gz");
    MaskVolume m = io::readMask(path);
    EXPECT_EQ(metrics::labelComponents(m, 6).count(), expected[i][0]) << path;
    EXPECT_EQ(metrics::labelComponents(m, 18).count(), expected[i][1]) << path;
    EXPECT_EQ(metrics::labelComponents(m, 26).count(), expected[i][2]) << path;
  }
}
