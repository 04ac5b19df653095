// The training loop's parts on values worked out by hand.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "lib/train/Losses.h"
#include "lib/train/Schedule.h"

using namespace mst;

TEST(Schedule, WarmupThenPolyCosineAndConstant) {
  train::TrainConfig c;
  c.iterations = 110;
  c.warmup = 10;
  c.schedule = "poly";
  EXPECT_DOUBLE_EQ(train::scheduleFactor(c, 0), 0.1);   // (0 + 1) / 10
  EXPECT_DOUBLE_EQ(train::scheduleFactor(c, 9), 1.0);
  EXPECT_DOUBLE_EQ(train::scheduleFactor(c, 10), 1.0);  // t = 0
  EXPECT_NEAR(train::scheduleFactor(c, 60), std::pow(0.5, 0.9), 1e-15);  // nnU-Net: (1 - t)^0.9, t = 50/100
  c.schedule = "cosine";
  EXPECT_NEAR(train::scheduleFactor(c, 60), 0.5, 1e-15);  // (1 + cos(pi/2)) / 2
  EXPECT_NEAR(train::scheduleFactor(c, 35), 0.5 * (1 + std::cos(M_PI * 0.25)), 1e-15);
  c.schedule = "constant";
  EXPECT_DOUBLE_EQ(train::scheduleFactor(c, 100), 1.0);
}

TEST(Losses, SoftDiceAndBceOnAWorkedExample) {
  // Logits 0 -> p = 0.5 everywhere; target has 2 of 4 voxels set.
  auto logits = torch::zeros({1, 1, 1, 2, 2});
  auto target = torch::tensor({1.f, 1.f, 0.f, 0.f}).view({1, 1, 1, 2, 2});
  // Dice loss = 1 - (2 * 1 + eps) / (2 + 2 + eps) = 0.5 (eps = 1e-5 on both sides).
  EXPECT_NEAR(train::diceLoss(logits, target).item<double>(), 1.0 - (2.0 + 1e-5) / (4.0 + 1e-5), 1e-7);
  train::TrainConfig c;
  c.diceWeight = 1.0;
  c.bceWeight = 2.0;
  const auto l = train::segmentationLoss({logits}, target, c);
  EXPECT_NEAR(l.bce, std::log(2.0), 1e-6);  // BCE at p = 0.5
  EXPECT_NEAR(l.total.item<double>(), l.dice + 2.0 * std::log(2.0), 1e-6);
  // Deep supervision: a perfect low-resolution head lowers the total below the full-resolution loss alone.
  auto big = torch::zeros({1, 1, 2, 4, 4});
  auto bigTarget = torch::zeros({1, 1, 2, 4, 4});
  bigTarget.index_put_({0, 0, torch::indexing::Slice(), torch::indexing::Slice(0, 2)}, 1.0);
  auto small = torch::full({1, 1, 1, 2, 2}, -20.0);
  small.index_put_({0, 0, 0, 0}, 20.0);
  const auto ds = train::segmentationLoss({big, small}, bigTarget, c);
  const auto full = train::segmentationLoss({big}, bigTarget, c);
  EXPECT_NEAR(ds.dice, full.dice, 1e-12);  // the logged terms are the full-resolution ones
  EXPECT_LT(ds.total.item<double>(), full.total.item<double>());
}
