// Mixed precision ([train] precision = "bf16"): training follows the fp32 loss
// curve, and the masks the same model predicts in fp32 and bf16 agree.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "lib/cache/Cache.h"
#include "lib/infer/Predictor.h"
#include "lib/metrics/Components.h"
#include "lib/infer/SlidingWindow.h"
#include "lib/model/Checkpoint.h"
#include "tests/support/TrainFixture.h"

using namespace mst;
namespace fs = std::filesystem;
using test::TrainFixture;

namespace {

std::vector<double> losses(const fs::path& log) {
  std::vector<double> v;
  std::ifstream f(log);
  for (std::string line; std::getline(f, line);) {
    auto j = nlohmann::json::parse(line);
    if (j.contains("loss")) v.push_back(j["loss"].get<double>());
  }
  return v;
}

double dice(const MaskVolume& a, const MaskVolume& b) {
  double inter = 0, sum = 0;
  for (size_t i = 0; i < a.data.size(); ++i) {
    inter += a.data[i] && b.data[i];
    sum += a.data[i] + b.data[i];
  }
  return sum > 0 ? 2 * inter / sum : 1.0;
}

}  // namespace

TEST(Precision, Bf16TrainingFollowsTheFp32LossCurve) {
  TrainFixture f;
  auto a = f.job("fp32", 60);
  a.train.precision = "fp32";  // the default, "auto", is bf16 on CPUs with AVX512-BF16
  a.train.logEvery = 1;
  a.train.checkpointEvery = 100;
  auto b = a;
  b.outDir = f.dir / "bf16";
  b.train.precision = "bf16";
  train::train(a);
  train::train(b);
  const auto la = losses(f.dir / "fp32" / "train_log.jsonl"), lb = losses(f.dir / "bf16" / "train_log.jsonl");
  ASSERT_EQ(la.size(), 60u);
  ASSERT_EQ(lb.size(), 60u);
  // Same data, same seeds: the curves differ only by rounding. Tolerance: over every window of
  // 10 iterations the mean losses agree within 0.05 (the loss falls from about 1.9 to about 1.6).
  for (size_t s = 0; s + 10 <= la.size(); s += 10) {
    double ma = 0, mb = 0;
    for (size_t i = s; i < s + 10; ++i) ma += la[i] / 10, mb += lb[i] / 10;
    EXPECT_NEAR(ma, mb, 0.05) << "iterations " << s << "-" << s + 9;
  }
  EXPECT_LT(lb.back(), lb.front());  // and it learns
  std::cout << "loss fp32 " << la.front() << " -> " << la.back() << ", bf16 " << lb.front() << " -> " << lb.back() << "\n";
  // The sidecar records the precision the model was trained in; prediction uses it by default.
  EXPECT_EQ(infer::readModelMeta(f.dir / "bf16" / "best.pt").trainPrecision, "bf16");
  EXPECT_EQ(infer::readModelMeta(f.dir / "fp32" / "best.pt").trainPrecision, "fp32");
}

TEST(Precision, Fp32AndBf16MasksOfTheSameModelAgree) {
  TrainFixture f;
  auto j = f.job("model", 150);
  j.train.checkpointEvery = 200;
  train::train(j);
  model::UNet3d net(j.model);
  model::loadIntoModule(*net, model::loadStateDict(f.dir / "model" / "best.pt"), "best.pt");
  cache::CacheReader reader(f.cache);
  infer::InferConfig c32, c16;
  c32.precision = "fp32";
  c16.precision = "bf16";
  for (int s = 0; s < static_cast<int>(reader.studies().size()); ++s) {
    const auto p32 = infer::predictCachedStudy(net, reader, s, j.train.patch, c32, torch::kCPU);
    const auto p16 = infer::predictCachedStudy(net, reader, s, j.train.patch, c16, torch::kCPU);
    const MaskVolume m32 = metrics::binarize(p32, 0.5, 0), m16 = metrics::binarize(p16, 0.5, 0);
    int64_t fg = 0;
    for (auto x : m32.data) fg += x;
    EXPECT_GT(fg, 100) << "study " << s << ": the model should predict lesion voxels";
    EXPECT_GE(dice(m32, m16), 0.98) << "study " << s;
    std::cout << "study " << s << ": " << fg << " lesion voxels in fp32, Dice fp32 vs bf16 " << dice(m32, m16) << "\n";
  }
}
