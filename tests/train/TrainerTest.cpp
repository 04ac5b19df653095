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
