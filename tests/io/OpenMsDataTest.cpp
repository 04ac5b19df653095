// Opt-in checks on the real open MS samples in ../shared (skipped when absent,
// as in a fresh clone).
#include <gtest/gtest.h>

#include <cmath>

#include "lib/io/Manifest.h"
#include "lib/io/Nifti.h"
#include "lib/io/Transform.h"
#include "tests/support/TestSupport.h"

using namespace mst;
namespace fs = std::filesystem;

TEST(OpenMsData, TransformFileReadsAsTheAffineWrittenInIt) {
  if (!test::sharedDataPresent()) GTEST_SKIP() << "../shared/data/open_ms_data not present";
  auto t = io::readTransform(test::sharedData() / "longitudinal" / "patient01" / "study1_FLAIR_to_common_space.txt");
  // Parameters line of the file: the matrix row-major, then the translation;
  // ITK's offset = translation + center - M * center.
  EXPECT_NEAR(t.matrix[0], 0.999772, 1e-6);
  EXPECT_NEAR(t.matrix[1], 0.0124779, 1e-7);
  const double c[3] = {0.431239, 13.066, -14.9495};
  const double tr0 = -0.47633;
  const double off0 = tr0 + c[0] - (t.matrix[0] * c[0] + t.matrix[1] * c[1] + t.matrix[2] * c[2]);
  EXPECT_NEAR(t.offset[0], off0, 1e-6);
}
