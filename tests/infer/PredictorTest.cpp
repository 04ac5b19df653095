// Prediction from a checkpoint onto the original grid, and device checks.
#include <gtest/gtest.h>

#include "lib/core/Error.h"
#include "lib/eval/Evaluation.h"
#include "lib/infer/Predictor.h"
#include "lib/io/Nifti.h"
#include "lib/preprocess/Resample.h"
#include "tests/support/TrainFixture.h"

using namespace mst;
namespace fs = std::filesystem;

using test::TrainFixture;

TEST(Predictor, WritesProbabilityAndMaskOnTheOriginalGrid) {
  TrainFixture f;
  auto j = f.job("model", 2);
  train::train(j);
  auto m = io::readManifest(f.manifest);
  infer::PredictOptions po;
  po.progress = false;
  auto r = infer::predictManifest(f.dir / "model" / "best.pt", m, f.dir / "pcache.h5", f.dir / "pred", po);
  EXPECT_EQ(r.studies, 3);
  for (const auto& row : m.rows) {
    auto prob = io::readImage(f.dir / "pred" / eval::probFileName(row.id()));
    auto mask = io::readMask(f.dir / "pred" / eval::maskFileName(row.id()));
    auto ref = io::readImageInfo(*row.channel("flair")).geom;
    EXPECT_TRUE(prob.geom.sameGrid(ref));
    EXPECT_TRUE(mask.geom.sameGrid(ref));
  }
  EXPECT_THROW(infer::checkDevice("tpu"), InputError);
  if (!infer::cudaAvailable()) EXPECT_THROW(infer::checkDevice("cuda"), InputError);
}

// A checkpoint records the spacing its network was trained at; predict resamples an input of another
// spacing to it and writes the result back on the input's grid (unless told to keep the input's).
TEST(Predictor, InputsAreResampledToTheTrainingSpacingAndWrittenBackOnTheirGrid) {
  TrainFixture f;  // studies at 3.33 mm, target_spacing 0 (keep the input's)
  auto j = f.job("model", 2);
  train::train(j);
  const auto meta = infer::readModelMeta(f.dir / "model" / "best.pt");
  for (int a = 0; a < 3; ++a) EXPECT_NEAR(meta.trainedSpacingMm[static_cast<size_t>(a)], 3.33, 1e-6);

  // The same studies at half the spacing (1.665 mm), as a scanner with another resolution would give.
  io::Manifest m = io::readManifest(f.manifest);
  m.rows.resize(1);
  io::StudyRow& row = m.rows[0];
  const FloatVolume flair = io::readImage(*row.channel("flair"));
  Geometry fine = flair.geom;
  for (size_t a = 0; a < 3; ++a) {
    fine.size[a] *= 2;
    fine.spacing[a] /= 2;
  }
  const fs::path dir = f.dir / "fine";
  fs::create_directories(dir);
  io::writeImage(dir / "flair.nii.gz", preprocess::resampleOnto(flair, fine, true));
  io::writeMask(dir / "brainmask.nii.gz", preprocess::resampleOnto(io::readMask(row.brainmask), fine, false));
  io::writeMask(dir / "label.nii.gz", preprocess::resampleOnto(io::readMask(row.label), fine, false));
  row.channels = {{"flair", dir / "flair.nii.gz"}};
  row.brainmask = dir / "brainmask.nii.gz";
  row.label = dir / "label.nii.gz";
  row.reference.clear();

  infer::PredictOptions po;
  po.progress = false;
  infer::predictManifest(f.dir / "model" / "best.pt", m, dir / "cache.h5", dir / "pred", po);
  {
    cache::CacheReader r(dir / "cache.h5");
    for (int a = 0; a < 3; ++a) EXPECT_NEAR(r.studies()[0].mapping.final.spacing[static_cast<size_t>(a)], 3.33, 1e-6);
  }
  EXPECT_TRUE(io::readImage(dir / "pred" / eval::probFileName(row.id())).geom.sameGrid(fine));
  EXPECT_TRUE(io::readMask(dir / "pred" / eval::maskFileName(row.id())).geom.sameGrid(fine));

  po.keepInputSpacing = true;
  infer::predictManifest(f.dir / "model" / "best.pt", m, dir / "cache_keep.h5", dir / "pred_keep", po);
  cache::CacheReader r(dir / "cache_keep.h5");
  for (int a = 0; a < 3; ++a) EXPECT_NEAR(r.studies()[0].mapping.final.spacing[static_cast<size_t>(a)], 1.665, 1e-6);
  EXPECT_TRUE(io::readMask(dir / "pred_keep" / eval::maskFileName(row.id())).geom.sameGrid(fine));
}
