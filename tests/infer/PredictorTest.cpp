// Prediction from a checkpoint onto the original grid, and device checks.
#include <gtest/gtest.h>

#include "lib/core/Error.h"
#include "lib/eval/Evaluation.h"
#include "lib/infer/Predictor.h"
#include "lib/io/Nifti.h"
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
