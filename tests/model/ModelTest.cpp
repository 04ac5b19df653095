#include <gtest/gtest.h>
#include <torch/torch.h>

#include "lib/core/Error.h"
#include "lib/infer/SlidingWindow.h"
#include "lib/model/Checkpoint.h"
#include "lib/model/Transfer.h"
#include "lib/model/UNet3d.h"
#include "tests/support/TestSupport.h"

using namespace mst;
namespace fs = std::filesystem;

namespace {
model::UNetOptions opts(int in = 1, int base = 4, int depth = 3) {
  model::UNetOptions o;
  o.inChannels = in;
  o.baseFilters = base;
  o.depth = depth;
  return o;
}
bool sameDicts(const model::StateDict& a, const model::StateDict& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [k, v] : a) {
    auto it = b.find(k);
    if (it == b.end() || !torch::equal(v, it->second)) return false;
  }
  return true;
}
}  // namespace

TEST(UNet3d, OutputShapesForEveryOption) {
  torch::manual_seed(0);
  for (int depth : {2, 3, 4})
    for (const char* norm : {"instance", "batch", "group"})
      for (const char* up : {"transposed", "trilinear"}) {
        auto o = opts(2, 8, depth);
        o.norm = norm;
        o.upsampling = up;
        o.outChannels = 1;
        o.dropout = 0.1;
        model::UNet3d net(o);
        auto y = net->forward(torch::randn({2, 2, 16, 24, 16}));
        EXPECT_EQ(y.sizes(), (std::vector<int64_t>{2, 1, 16, 24, 16})) << depth << norm << up;
      }
  auto o = opts(1, 4, 4);
  o.deepSupervision = true;
  o.outChannels = 2;
  model::UNet3d net(o);
  auto outs = net->forwardAll(torch::randn({1, 1, 32, 32, 32}));
  ASSERT_EQ(outs.size(), 3u);
  EXPECT_EQ(outs[0].sizes(), (std::vector<int64_t>{1, 2, 32, 32, 32}));
  EXPECT_EQ(outs[1].sizes(), (std::vector<int64_t>{1, 2, 16, 16, 16}));
  EXPECT_EQ(outs[2].sizes(), (std::vector<int64_t>{1, 2, 8, 8, 8}));
}

TEST(UNet3d, TransposedUpsamplingAsConvolutionEqualsConvTranspose3dWithItsGradients) {
  // The decoder computes ConvTranspose3d(k 2, s 2) as a 1x1x1 convolution and a voxel shuffle;
  // LibTorch's own conv_transpose3d is the reference, on a non-cubic batch of 2.
  torch::manual_seed(3);
  auto x = torch::randn({2, 6, 3, 4, 5}, torch::requires_grad());
  auto w = torch::randn({6, 5, 2, 2, 2}, torch::requires_grad());
  auto b = torch::randn({5}, torch::requires_grad());
  auto ref = torch::conv_transpose3d(x, w, b, /*stride=*/2);
  auto got = model::upsampleTransposed(x, w, b);
  ASSERT_EQ(got.sizes(), ref.sizes());
  EXPECT_TRUE(torch::allclose(got, ref, 1e-5, 1e-5));
  auto g = torch::randn_like(ref);
  auto gradsRef = torch::autograd::grad({ref}, {x, w, b}, {g});
  auto gradsGot = torch::autograd::grad({got}, {x, w, b}, {g});
  for (size_t i = 0; i < 3; ++i) EXPECT_TRUE(torch::allclose(gradsGot[i], gradsRef[i], 1e-4, 1e-4)) << i;
}

TEST(UNet3d, ParameterNamesAreTheDocumentedCheckpointFormat) {
  model::UNet3d net(opts(1, 4, 3));
  auto d = model::stateDict(*net);
  for (const char* k : {"encoder.0.conv1.weight", "encoder.0.norm1.weight", "encoder.2.conv2.bias", "decoder.0.up.weight",
                        "decoder.1.block.conv1.weight", "head.weight", "head.bias"})
    EXPECT_TRUE(d.count(k)) << k;
}

TEST(UNet3d, InvalidOptionsAreRejectedNamingTheField) {
  auto o = opts();
  o.norm = "layer";
  try {
    model::UNet3d net(o);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("norm: expected one of instance, batch, group, got 'layer'"), std::string::npos);
  }
}

TEST(UNet3d, AFewStepsLowerTheLossOnATinySyntheticSet) {
  torch::manual_seed(1);
  model::UNet3d net(opts(1, 4, 2));
  // A bright cube on noise; the label is the cube.
  auto y = torch::zeros({2, 1, 16, 16, 16});
  y.slice(2, 5, 10).slice(3, 4, 9).slice(4, 6, 11).fill_(1);
  auto x = torch::randn({2, 1, 16, 16, 16}) * 0.3 + y * 2;
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(1e-2));
  auto lossOf = [&]() { return torch::binary_cross_entropy_with_logits(net->forward(x), y); };
  const double before = lossOf().item<double>();
  for (int i = 0; i < 60; ++i) {
    opt.zero_grad();
    auto l = lossOf();
    l.backward();
    opt.step();
  }
  const double after = lossOf().item<double>();
  EXPECT_LT(after, 0.5 * before) << before << " -> " << after;
}

TEST(Checkpoint, RoundTripIsBitExact) {
  test::TempDir d;
  torch::manual_seed(2);
  auto o = opts(2, 4, 3);
  o.norm = "batch";  // with running-stat buffers
  model::UNet3d a(o), b(o);
  a->train();
  a->forward(torch::randn({2, 2, 16, 16, 16}));  // move the running stats
  model::saveStateDict(d / "a.pt", model::stateDict(*a));
  model::loadIntoModule(*b, model::loadStateDict(d / "a.pt"), "a.pt");
  EXPECT_TRUE(sameDicts(model::stateDict(*a), model::stateDict(*b)));
  a->eval();
  b->eval();
  auto x = torch::randn({1, 2, 16, 16, 16});
  EXPECT_TRUE(torch::equal(a->forward(x), b->forward(x)));
}

TEST(Checkpoint, LoadsAPlainDictSavedByPythonPyTorchAndMatchesItsOutput) {
  // tests/data/python_unet_b4_d2.pt: bench/unet3d.py UNet3d(base_filters=4, depth=2), torch.manual_seed(0),
  // saved with torch.save(dict(m.state_dict())) by Debian's python3-torch 1.13. For
  // x = linspace(-1, 1, 16^3) as [1,1,16,16,16], PyTorch gave y.sum() = 1530.5404052734375,
  // y[0,0,3,5,7] = -0.2511636018753052.
  model::UNet3d net(opts(1, 4, 2));
  model::loadIntoModule(*net, model::loadStateDict(fs::path(MST_SOURCE_DIR) / "tests/data/python_unet_b4_d2.pt"), "py");
  net->eval();
  torch::NoGradGuard ng;
  auto x = torch::linspace(-1, 1, 16 * 16 * 16).reshape({1, 1, 16, 16, 16});
  auto y = net->forward(x);
  EXPECT_NEAR(y.sum().item<double>(), 1530.5404052734375, 1e-2);
  EXPECT_NEAR(y[0][0][3][5][7].item<double>(), -0.2511636018753052, 1e-5);
}

TEST(Checkpoint, OrderedDictFromPythonGetsAClearError) {
  const auto f = fs::path(MST_SOURCE_DIR) / "tests/data/python_unet_b4_d2_ordereddict.pt";
  try {
    model::loadStateDict(f);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(f.string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("torch.save(dict(model.state_dict()), path)"), std::string::npos) << e.what();
  }
}

TEST(Transfer, PartialLoadAdaptsTheFirstConvolutionAndReportsWhatItDid) {
  torch::manual_seed(3);
  model::UNet3d src(opts(1, 4, 3));
  auto o2 = opts(2, 4, 3);
  o2.outChannels = 2;  // head shape differs: stays new
  model::UNet3d dst(o2);
  const auto s = model::stateDict(*src);
  for (const char* mode : {"replicate", "average", "zero"}) {
    model::TransferOptions to;
    to.firstConv = mode;
    auto rep = model::loadPartial(dst, s, to);
    ASSERT_EQ(rep.adapted.size(), 1u) << mode;
    EXPECT_NE(rep.adapted[0].find("encoder.0.conv1.weight (1 -> 2 input channels"), std::string::npos);
    EXPECT_EQ(rep.fresh.size(), 2u);  // head.weight, head.bias
    const auto d = model::stateDict(*dst);
    // Everything reported as loaded equals the source.
    for (const auto& n : rep.loaded) EXPECT_TRUE(torch::equal(d.at(n), s.at(n))) << n;
    const auto w = d.at("encoder.0.conv1.weight"), ws = s.at("encoder.0.conv1.weight");
    if (std::string(mode) == "zero") {
      EXPECT_TRUE(torch::equal(w.select(1, 0), ws.select(1, 0)));
      EXPECT_EQ(w.select(1, 1).abs().sum().item<double>(), 0.0);
    } else {
      EXPECT_TRUE(torch::allclose(w.select(1, 0), ws.select(1, 0) * 0.5));
      EXPECT_TRUE(torch::allclose(w.select(1, 1), ws.select(1, 0) * 0.5));
    }
  }
  model::TransferOptions reinit;
  reinit.reinitHead = true;
  model::UNet3d same(opts(1, 4, 3));
  auto rep = model::loadPartial(same, s, reinit);
  EXPECT_EQ(rep.fresh, (std::vector<std::string>{"head.weight", "head.bias"}));
  EXPECT_EQ(rep.unused.size(), 2u);
}

TEST(Transfer, FreezingByPartAndUnknownPartError) {
  model::UNet3d net(opts(1, 4, 3));
  auto frozen = model::freeze(net, {"encoder"});
  EXPECT_FALSE(frozen.empty());
  for (const auto& p : net->named_parameters(true))
    EXPECT_EQ(p.value().requires_grad(), p.key().rfind("encoder.", 0) != 0) << p.key();
  EXPECT_EQ(model::matchPart(net, "all_but_head").size() + model::matchPart(net, "head").size(), net->parameters().size());
  EXPECT_THROW(model::matchPart(net, "bottleneck"), InputError);
}

