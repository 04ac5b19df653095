// Sliding-window inference against whole-volume passes of the same network.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "lib/infer/SlidingWindow.h"
#include "lib/model/UNet3d.h"

using namespace mst;

namespace {
model::UNetOptions opts(int in, int base, int depth) {
  model::UNetOptions o;
  o.inChannels = in;
  o.baseFilters = base;
  o.depth = depth;
  return o;
}

// Sigmoid of one forward pass over the whole (already padded) volume [C, Z, Y, X].
torch::Tensor wholePass(model::UNet3d& net, const torch::Tensor& img) {
  torch::NoGradGuard ng;
  return torch::sigmoid(net->forward(img.unsqueeze(0)))[0][0];
}
}  // namespace

TEST(SlidingWindow, OneWindowCoveringTheVolumeEqualsAWholeVolumePass) {
  torch::manual_seed(4);
  model::UNet3d net(opts(2, 4, 3));
  net->eval();
  auto img = torch::randn({2, 16, 16, 16});
  infer::InferConfig cfg;
  auto p = infer::predictProbabilities(net, img, {16, 16, 16}, cfg, torch::kCPU);
  EXPECT_TRUE(torch::allclose(p, wholePass(net, img), 1e-5, 1e-6));
  // Mirroring TTA of a network evaluated on a symmetric input stays in [0, 1] and keeps the shape.
  cfg.mirror = true;
  auto pm = infer::predictProbabilities(net, img, {16, 16, 16}, cfg, torch::kCPU);
  EXPECT_EQ(pm.sizes(), p.sizes());
  // A window larger than the volume ([infer] window as large as the cohort's grid): one pass over the
  // volume zero-padded up to the window, cropped back; no seams between windows.
  cfg.mirror = false;
  auto odd = img.slice(1, 0, 10).slice(2, 0, 14).slice(3, 0, 9);
  auto po = infer::predictProbabilities(net, odd, {12, 16, 12}, cfg, torch::kCPU);
  auto whole = wholePass(net, torch::constant_pad_nd(odd, {0, 3, 0, 2, 0, 2}, 0.0));
  EXPECT_TRUE(torch::allclose(po, whole.slice(0, 0, 10).slice(1, 0, 14).slice(2, 0, 9), 1e-5, 1e-6));
}

TEST(SlidingWindow, OverlappingWindowsCoverAVolumeLargerThanTheWindow) {
  torch::manual_seed(5);
  model::UNet3d net(opts(1, 4, 2));
  auto img = torch::randn({1, 20, 30, 18});
  infer::InferConfig cfg;
  auto p = infer::predictProbabilities(net, img, {16, 16, 16}, cfg, torch::kCPU);
  EXPECT_EQ(p.sizes(), (std::vector<int64_t>{20, 30, 18}));
  EXPECT_GT(p.min().item<double>(), 0.0);
  EXPECT_LT(p.max().item<double>(), 1.0);
  // A volume smaller than the window is padded and cropped back.
  auto small = infer::predictProbabilities(net, torch::randn({1, 10, 12, 8}), {16, 16, 16}, cfg, torch::kCPU);
  EXPECT_EQ(small.sizes(), (std::vector<int64_t>{10, 12, 8}));
}
