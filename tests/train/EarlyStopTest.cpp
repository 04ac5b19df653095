// The early-stopping rule (lib/train/EarlyStop.h) on hand-written validation curves.
#include <gtest/gtest.h>

#include <vector>

#include "lib/train/EarlyStop.h"
#include "lib/train/Schedule.h"

using namespace mst;

namespace {

train::TrainConfig rule(int patience, int64_t minIterations) {
  train::TrainConfig c;
  c.earlyStop = true;
  c.valEvery = 100;
  c.iterations = 5000;
  c.patience = patience;
  c.minDelta = 0.01;
  c.minIterations = minIterations;
  c.schedule = "constant";
  return c;
}

// Feeds values at iterations 0, 100, 200, ...; returns the iteration of the evaluation that stops (or -1).
int64_t feed(train::StopState& s, const train::TrainConfig& c, const std::vector<double>& values) {
  for (size_t i = 0; i < values.size(); ++i) {
    train::observe(s, c, static_cast<int64_t>(i) * 100, values[i]);
    if (s.plateau) return static_cast<int64_t>(i) * 100;
  }
  return -1;
}

}  // namespace

TEST(EarlyStop, AFlatStartNeverStopsARun) {
  // The de-novo pattern of issue 13: nothing for 800 iterations, then learning.
  train::StopState s;
  const auto c = rule(3, 0);
  std::vector<double> v(8, 0.0);
  v.insert(v.end(), {0.3, 0.5, 0.5, 0.5, 0.5});
  int64_t stoppedAt = -1;
  for (size_t i = 0; i < v.size() && stoppedAt < 0; ++i) {
    train::observe(s, c, static_cast<int64_t>(i) * 100, v[i]);
    if (i == 7) {
      EXPECT_FALSE(s.learned);
      EXPECT_FALSE(s.plateau);
      EXPECT_EQ(train::stopReason(s, true), "never_learned");
    }
    if (s.plateau) stoppedAt = static_cast<int64_t>(i) * 100;
  }
  EXPECT_EQ(stoppedAt, 1200);  // learns at 800 and 900, then three flat evaluations
  EXPECT_EQ(s.bestIteration, 900);
  EXPECT_DOUBLE_EQ(s.best, 0.5);
  EXPECT_EQ(train::stopReason(s, true), "plateau");
}

TEST(EarlyStop, ImprovementsBelowMinDeltaDoNotResetPatienceOrMoveTheBest) {
  train::StopState s;
  const auto c = rule(2, 0);
  EXPECT_TRUE(train::observe(s, c, 0, 0.1));   // the starting level is the first best
  EXPECT_TRUE(train::observe(s, c, 100, 0.4));
  EXPECT_FALSE(train::observe(s, c, 200, 0.405));  // + 0.005 <= min_delta 0.01
  EXPECT_FALSE(s.plateau);
  EXPECT_FALSE(train::observe(s, c, 300, 0.409));
  EXPECT_TRUE(s.plateau);
  EXPECT_EQ(s.bestIteration, 100);
}

TEST(EarlyStop, NothingStopsBeforeMinIterationsAndTheCapIsReported) {
  train::StopState s;
  const auto c = rule(2, 600);
  // Learned at 100, flat afterwards: evaluations before 600 do not count towards patience.
  EXPECT_EQ(feed(s, c, {0.1, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6}), 700);
  train::StopState t;
  feed(t, c, {0.1, 0.2, 0.3, 0.4});  // still improving when the run ends
  EXPECT_EQ(train::stopReason(t, true), "cap");
  EXPECT_EQ(train::stopReason(t, false), "budget");  // early stopping off: a fixed budget
}

TEST(EarlyStop, PlateauScheduleHalvesTheRateAfterLrPatienceEvaluations) {
  auto c = rule(5, 0);
  c.schedule = "plateau";
  c.lrFactor = 0.5;
  c.lrPatience = 2;
  train::StopState s;
  feed(s, c, {0.1, 0.5, 0.5, 0.5});  // two evaluations without improvement: one cut
  EXPECT_EQ(s.reductions, 1);
  EXPECT_DOUBLE_EQ(train::scheduleFactor(c, 400, s.reductions), 0.5);
  train::observe(s, c, 400, 0.5);
  train::observe(s, c, 500, 0.5);
  EXPECT_EQ(s.reductions, 2);
  EXPECT_DOUBLE_EQ(train::scheduleFactor(c, 600, s.reductions), 0.25);
  train::observe(s, c, 600, 0.7);  // an improvement restarts patience but keeps the lower rate
  EXPECT_EQ(s.sinceBest, 0);
  EXPECT_EQ(s.reductions, 2);
  EXPECT_FALSE(s.plateau);
}

TEST(EarlyStop, AModelThatPredictsNothingHasNotLearnedAndIsNeverKept) {
  // Two of four validation studies without lesions: a model predicting nothing scores F1 0.5 on them
  // (the two empty studies count 1, the others 0), above the random start's 0.0. It has learned nothing.
  train::StopState s;
  const auto c = rule(3, 0);
  EXPECT_TRUE(train::observe(s, c, 0, 0.0, true));    // the random start predicts lesions everywhere
  EXPECT_FALSE(train::observe(s, c, 100, 0.5, false));  // predicts nothing: no improvement
  EXPECT_FALSE(train::observe(s, c, 200, 0.5, false));
  EXPECT_FALSE(train::observe(s, c, 300, 0.5, false));
  EXPECT_FALSE(train::observe(s, c, 400, 0.5, false));
  EXPECT_FALSE(s.learned);
  EXPECT_FALSE(s.plateau);  // a flat start never ends a run
  EXPECT_EQ(train::stopReason(s, true), "never_learned");
  EXPECT_EQ(s.bestIteration, 0);
  EXPECT_TRUE(train::observe(s, c, 500, 0.3, true));  // finds lesions: learns, though below 0.5
  EXPECT_TRUE(s.learned);
  EXPECT_EQ(s.bestIteration, 500);
  // Once learned, a collapse to predicting nothing is an evaluation without improvement.
  EXPECT_FALSE(train::observe(s, c, 600, 0.5, false));
  EXPECT_FALSE(train::observe(s, c, 700, 0.5, false));
  EXPECT_FALSE(train::observe(s, c, 800, 0.5, false));
  EXPECT_TRUE(s.plateau);
  EXPECT_EQ(s.bestIteration, 500);
  EXPECT_DOUBLE_EQ(s.best, 0.3);
}
