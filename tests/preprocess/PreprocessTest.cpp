#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "lib/cache/Cache.h"
#include "lib/cache/Sampler.h"
#include "lib/core/Error.h"
#include "lib/io/Manifest.h"
#include "lib/io/Nifti.h"
#include "lib/preprocess/Preprocess.h"
#include "lib/synth/Synth.h"
#include "tests/support/CohortFixture.h"

using namespace mst;
namespace fs = std::filesystem;

using test::CohortFixture;
using test::build;
using test::slurp;

TEST(Preprocess, LabelMappedBackToTheOriginalGridEqualsTheOriginal) {
  test::TempDir d;
  // An oblique-free but flipped and shifted grid (RAS-stored NIfTI), cropped on the way in.
  Geometry g;
  g.size = {40, 44, 36};
  g.spacing = {1.0, 1.2, 1.5};
  g.origin = {30, 20, -10};
  g.direction = {-1, 0, 0, 0, -1, 0, 0, 0, 1};
  FloatVolume img(g, 0.0f);
  MaskVolume brain(g, 0), lab(g, 0);
  for (int64_t k = 6; k < 30; ++k)
    for (int64_t j = 5; j < 38; ++j)
      for (int64_t i = 4; i < 33; ++i) {
        brain.at(i, j, k) = 1;
        img.at(i, j, k) = 100.0f + static_cast<float>((i * 7 + j * 3 + k) % 50);
      }
  for (int64_t i = 10; i < 14; ++i) lab.at(i, 20, 15) = lab.at(i, 21, 15) = 1;
  lab.at(30, 8, 7) = 1;
  io::writeImage(d / "img.nii.gz", img);
  io::writeMask(d / "lab.nii.gz", lab);
  io::writeMask(d / "brain.nii.gz", brain);
  test::writeFile(d / "m.csv", "subject,flair,label,brainmask\ns1,img.nii.gz,lab.nii.gz,brain.nii.gz\n");
  auto m = io::readManifest(d / "m.csv");
  preprocess::PreprocessConfig c;
  c.channels = {"flair"};
  auto st = preprocess::preprocessStudy(m.rows[0], c);
  // Canonical orientation: identity direction; cropped to the brain box + 4.
  EXPECT_NEAR(st.mapping.final.direction[0], 1.0, 1e-9);
  EXPECT_EQ(st.mapping.final.size[0], 29 + 8);
  MaskVolume back = preprocess::toReference(st.label, st.mapping);
  ASSERT_TRUE(back.geom.sameGrid(g));
  EXPECT_EQ(back.data, lab.data);
  // Z-scored inside the brain: mean ~0, sd ~1; zero outside.
  double s = 0, s2 = 0;
  int64_t n = 0;
  for (size_t i = 0; i < st.channels[0].data.size(); ++i)
    if (st.brainmask.data[i]) {
      s += st.channels[0].data[i];
      s2 += st.channels[0].data[i] * st.channels[0].data[i];
      ++n;
    }
  EXPECT_NEAR(s / n, 0.0, 1e-3);
  EXPECT_NEAR(s2 / n, 1.0, 0.05);
}

TEST(Preprocess, TransformBringsAMisalignedVisitIntoRegister) {
  CohortFixture f("ms_longitudinal", 2);
  auto m = io::readManifest(f.manifest);
  preprocess::PreprocessConfig c;
  c.channels = {"flair_prior", "flair"};
  auto corr = [](const preprocess::Study& st) {
    return test::correlationInMask(st.channels[0].data, st.channels[1].data, st.brainmask.data);
  };
  for (auto& row : m.rows) {
    const double registered = corr(preprocess::preprocessStudy(row, c));
    auto noTransform = row;
    noTransform.transforms.clear();
    const double raw = corr(preprocess::preprocessStudy(noTransform, c));
    EXPECT_GT(registered, 0.75) << row.id();
    EXPECT_GT(registered, raw) << row.id();
  }
}
