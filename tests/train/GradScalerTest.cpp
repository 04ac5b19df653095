// Dynamic loss scaling (fp16 training on CUDA), checked on the CPU with fp32 tensors: the rules are
// those of torch.cuda.amp.GradScaler (PyTorch documentation, "Automatic Mixed Precision"): gradients
// unscaled before the step, a step with inf/NaN gradients skipped and the scale multiplied by the
// backoff factor, the scale multiplied by the growth factor after `growth_interval` good steps.
#include <gtest/gtest.h>

#include <cmath>

#include "lib/train/GradScaler.h"

using namespace mst;

namespace {

struct Problem {
  torch::Tensor w = torch::tensor({1.0, -2.0}, torch::kFloat32).requires_grad_(true);
  torch::optim::SGD opt{{w}, torch::optim::SGDOptions(0.1)};
  torch::Tensor loss() { return (w * w).sum(); }  // gradient 2w
};

}  // namespace

TEST(GradScaler, UnscalesGradientsSoTheStepEqualsTheUnscaledOne) {
  Problem a, b;
  train::GradScaler scaler(true, 1024.0);
  a.opt.zero_grad();
  scaler.scaled(a.loss()).backward();
  EXPECT_FLOAT_EQ(a.w.grad()[0].item<float>(), 2.0f * 1024.0f);  // scaled before the step
  EXPECT_TRUE(scaler.step(a.opt, {a.w}));
  b.opt.zero_grad();
  b.loss().backward();
  b.opt.step();
  EXPECT_TRUE(torch::equal(a.w, b.w));  // w - 0.1 * 2w in both: 0.8, -1.6
  EXPECT_FLOAT_EQ(a.w[0].item<float>(), 0.8f);
}

TEST(GradScaler, SkipsAStepWithNonFiniteGradientsAndBacksOff) {
  Problem p;
  train::GradScaler scaler(true, 1024.0, 2.0, 0.5, 3);
  p.opt.zero_grad();
  (p.loss() * std::numeric_limits<float>::infinity()).backward();  // an overflow
  const auto before = p.w.clone();
  EXPECT_FALSE(scaler.step(p.opt, {p.w}));
  EXPECT_TRUE(torch::equal(p.w, before));
  EXPECT_DOUBLE_EQ(scaler.scale(), 512.0);
  // Three good steps in a row double the scale, and the count starts again.
  for (int i = 0; i < 3; ++i) {
    p.opt.zero_grad();
    scaler.scaled(p.loss()).backward();
    EXPECT_TRUE(scaler.step(p.opt, {p.w}));
  }
  EXPECT_DOUBLE_EQ(scaler.scale(), 1024.0);
  EXPECT_EQ(scaler.goodSteps(), 0);
}

TEST(GradScaler, TravelsInTheResumeStateAndIsAPassThroughWhenDisabled) {
  train::GradScaler a(true, 256.0, 2.0, 0.5, 10);
  Problem p;
  for (int i = 0; i < 4; ++i) {
    p.opt.zero_grad();
    a.scaled(p.loss()).backward();
    a.step(p.opt, {p.w});
  }
  model::StateDict d = {{"conv.weight", torch::zeros({1})}};
  a.addTo(d);
  EXPECT_EQ(d.size(), 3u);
  train::GradScaler b(true);
  EXPECT_TRUE(b.takeFrom(d));
  EXPECT_EQ(d.size(), 1u);  // only the network's entries are left
  EXPECT_DOUBLE_EQ(b.scale(), 256.0);
  EXPECT_EQ(b.goodSteps(), 4);

  train::GradScaler off(false);
  model::StateDict e;
  off.addTo(e);
  EXPECT_TRUE(e.empty());
  const auto loss = p.loss();
  EXPECT_TRUE(torch::equal(off.scaled(loss), loss));
}
