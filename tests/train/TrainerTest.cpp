#include <gtest/gtest.h>
#include <torch/torch.h>

#include "lib/cache/Cache.h"
#include "lib/core/Error.h"
#include "lib/eval/Evaluation.h"
#include "lib/infer/Predictor.h"
#include "lib/io/Manifest.h"
#include "lib/io/Nifti.h"
#include "lib/model/Checkpoint.h"
#include "lib/synth/Synth.h"
#include "lib/train/Threads.h"
#include "lib/train/Trainer.h"
#include "tests/support/TrainFixture.h"

using namespace mst;
namespace fs = std::filesystem;

using test::TrainFixture;

TEST(Trainer, ResumedTrainingEqualsUninterruptedTraining) {
  TrainFixture f;
  auto a = f.job("uninterrupted", 6);
  train::train(a);
  auto b = f.job("resumed", 6);
  train::setInterruptAfterForTesting(3);
  auto partial = train::train(b);
  train::setInterruptAfterForTesting(0);
  EXPECT_EQ(partial.iterations, 3);
  auto resumed = train::train(b);
  EXPECT_TRUE(resumed.resumed);
  const auto da = model::loadStateDict(f.dir / "uninterrupted" / "last.pt");
  const auto db = model::loadStateDict(f.dir / "resumed" / "last.pt");
  ASSERT_EQ(da.size(), db.size());
  for (const auto& [k, v] : da) EXPECT_TRUE(torch::equal(v, db.at(k))) << k;
  // A finished run is not repeated.
  EXPECT_TRUE(train::train(b).alreadyDone);
}

TEST(Trainer, EarlyStoppingWithWeightAveragingResumesToTheSameStopCurveAndWeights) {
  // Evaluations every 2 iterations, a plateau after 1 flat one, the averaged weights evaluated and
  // exported; interrupted after 3 iterations (between evaluations) and resumed.
  TrainFixture f;
  auto configure = [&](const std::string& out) {
    auto j = f.job(out, 40);
    j.train.valEvery = 2;
    j.train.earlyStop = true;
    j.train.patience = 1;
    j.train.minDelta = 0.0;
    j.train.emaDecay = 0.9;
    j.train.schedule = "plateau";
    j.train.lrPatience = 1;
    j.train.testCurve = true;
    j.testIds = {j.trainIds.front()};
    j.validation.overlap = 0.0;
    j.validation.minComponentChoices = {0, 2};
    return j;
  };
  auto a = configure("uninterrupted");
  const auto ra = train::train(a);
  auto b = configure("resumed");
  train::setInterruptAfterForTesting(3);
  train::train(b);
  train::setInterruptAfterForTesting(0);
  const auto rb = train::train(b);
  EXPECT_TRUE(rb.resumed);
  EXPECT_EQ(ra.stopReason, rb.stopReason);
  EXPECT_EQ(ra.iterations, rb.iterations);
  EXPECT_EQ(ra.bestIteration, rb.bestIteration);
  EXPECT_EQ(ra.minComponentVoxels, rb.minComponentVoxels);
  ASSERT_EQ(ra.curve.size(), rb.curve.size());
  for (size_t i = 0; i < ra.curve.size(); ++i) {
    EXPECT_EQ(ra.curve[i].iteration, rb.curve[i].iteration);
    EXPECT_EQ(ra.curve[i].split, rb.curve[i].split);
    EXPECT_EQ(ra.curve[i].metrics, rb.curve[i].metrics) << "evaluation " << i;
  }
  // An evaluation at iteration 0, then every 2 iterations, each on validation and test.
  ASSERT_GE(ra.curve.size(), 4u);
  EXPECT_EQ(ra.curve[0].iteration, 0);
  EXPECT_EQ(ra.curve[1].split, "test");
  EXPECT_EQ(ra.curve[2].iteration, 2);
  EXPECT_TRUE(ra.curve[0].metrics.count("min_component_voxels"));
  // The run ended where the rule says: on a plateau, at the cap, or never learning.
  if (ra.stopReason == "plateau") EXPECT_LT(ra.iterations, 40);
  else EXPECT_EQ(ra.iterations, 40);
  for (const char* file : {"best.pt", "last.pt"}) {
    const auto da = model::loadStateDict(f.dir / "uninterrupted" / file);
    const auto db = model::loadStateDict(f.dir / "resumed" / file);
    ASSERT_EQ(da.size(), db.size()) << file;
    for (const auto& [k, v] : da) {
      EXPECT_EQ(k.rfind("ema.", 0), std::string::npos) << "the exported weights are one network";
      EXPECT_TRUE(torch::equal(v, db.at(k))) << file << " " << k;
    }
  }
}

TEST(Trainer, FrozenParametersStayUnchanged) {
  TrainFixture f;
  auto src = f.job("source", 2);
  train::train(src);
  auto j = f.job("frozen", 3);
  j.train.init = "source";
  j.train.sourceCheckpoint = f.dir / "source" / "best.pt";
  j.train.freeze = {"encoder"};
  j.train.lrMultipliers = {{"decoder", 0.5}};
  auto r = train::train(j);
  EXPECT_NE(r.loadReport.find("loaded"), std::string::npos);
  const auto before = model::loadStateDict(f.dir / "source" / "best.pt");
  const auto after = model::loadStateDict(f.dir / "frozen" / "last.pt");
  int changed = 0;
  for (const auto& [k, v] : before) {
    if (k.rfind("encoder.", 0) == 0) EXPECT_TRUE(torch::equal(v, after.at(k))) << k;
    else changed += !torch::equal(v, after.at(k));
  }
  EXPECT_GT(changed, 0);
}

TEST(Trainer, BadSettingsAndUnknownStudiesAreInputErrors) {
  TrainFixture f;
  auto j = f.job("bad", 2);
  j.trainIds.push_back("NOPE_1");
  j.train.optimizer = "rmsprop";
  try {
    train::train(j);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("optimizer: expected one of adam, sgd, got 'rmsprop'"), std::string::npos);
  }
  j.train.optimizer = "adam";
  try {
    train::train(j);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("study 'NOPE_1' is not in cache"), std::string::npos);
  }
}
