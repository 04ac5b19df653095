// Settings structs: one field list drives JSON, hashes, defaults and checks.
#include <gtest/gtest.h>

#include "lib/config/EvalConfig.h"
#include "lib/config/InferConfig.h"
#include "lib/config/Json.h"
#include "lib/config/ModelConfig.h"
#include "lib/config/PreprocessConfig.h"
#include "lib/config/TrainConfig.h"
#include "lib/core/Error.h"

using namespace mst;

namespace {

std::vector<std::string> problemsOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const InputError& e) {
    return e.problems();
  }
  return {};
}

bool anyHas(const std::vector<std::string>& v, const std::string& s) {
  for (const auto& x : v)
    if (x.find(s) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST(SettingsJson, EveryStructRoundTripsThroughJsonExactly) {
  train::TrainConfig t;
  t.iterations = 777;
  t.patch = {16, 24, 32};
  t.lesionFraction = 1.0 / 3.0;  // not representable in decimal: the round trip must still be exact
  t.augment.gammaMin = 0.61;
  t.freeze = {"encoder", "bottleneck"};
  t.lrMultipliers = {{"decoder", 0.1}};
  t.sourceCheckpoint = "/a/b.pt";
  t.seed = 0xfedcba9876543210ULL;
  const auto j = config::toJson(t);
  const auto back = config::fromJson<train::TrainConfig>(j, "t.");
  EXPECT_EQ(config::toJson(back), j);
  EXPECT_EQ(back.lesionFraction, t.lesionFraction);
  EXPECT_EQ(back.seed, t.seed);
  EXPECT_EQ(back.patch, t.patch);

  metrics::LesionOptions e;
  e.setCriterion("iou:0.3");
  e.minSizeMm3 = 3;
  const auto eb = config::fromJson<metrics::LesionOptions>(config::toJson(e), "e.");
  EXPECT_EQ(eb.criterion, metrics::Criterion::kIou);
  EXPECT_DOUBLE_EQ(eb.iouThreshold, 0.3);
  EXPECT_EQ(config::toJson(eb), config::toJson(e));

  preprocess::PreprocessConfig p;
  p.channels = {"flair", "t1"};
  p.clipLow = 1;
  EXPECT_EQ(config::toJson(config::fromJson<preprocess::PreprocessConfig>(config::toJson(p), "p.")), config::toJson(p));
  model::UNetOptions m;
  m.depth = 4;
  EXPECT_EQ(config::toJson(config::fromJson<model::UNetOptions>(config::toJson(m), "m.")), config::toJson(m));
  infer::InferConfig i;
  i.mirrorAxes = {0, 2};
  EXPECT_EQ(config::toJson(config::fromJson<infer::InferConfig>(config::toJson(i), "i.")), config::toJson(i));
}

TEST(SettingsJson, StructuredValuesNotPackedStrings) {
  const auto j = config::toJson(train::TrainConfig{});
  EXPECT_TRUE(j.at("augment").is_object());
  EXPECT_TRUE(j.at("patch").is_array());
  EXPECT_TRUE(j.at("iterations").is_number_integer());
  EXPECT_TRUE(j.at("lr_multipliers").is_object());
  EXPECT_TRUE(config::toJson(preprocess::PreprocessConfig{}).at("clip_percentiles").is_array());
  EXPECT_EQ(config::toJson(metrics::LesionOptions{}).at("criterion"), "any");
}

TEST(SettingsJson, IdentityLeavesOutOperationalFieldsOnly) {
  train::TrainConfig a, b;
  b.logEvery = 1;
  b.checkpointEvery = 7;
  b.samplerThreads = 3;
  EXPECT_EQ(config::identityHash(a), config::identityHash(b));
  EXPECT_NE(config::toJson(a), config::toJson(b));  // still recorded
  EXPECT_FALSE(config::toJson(a, true).contains("log_every"));
  b.lr = 2e-3;
  EXPECT_NE(config::identityHash(a), config::identityHash(b));
  b = a;
  b.augment.noiseProb = 0.2;  // nested fields are identity too
  EXPECT_NE(config::identityHash(a), config::identityHash(b));
}

TEST(SettingsJson, SparseFieldsAreWrittenOnlyWhenSetSoOlderRunIdsStand) {
  // [infer] window came after runs (and the shipped source models) were recorded: left at 0 it is absent
  // from the JSON, so those runs keep their config hash; set, it is written and read back.
  infer::InferConfig a, b;
  EXPECT_FALSE(config::toJson(a).contains("window"));
  EXPECT_FALSE(config::toJson(a, true).contains("window"));
  b.window = {80, 96, 80};
  const auto j = config::toJson(b);
  ASSERT_TRUE(j.contains("window"));
  EXPECT_EQ(j.at("window"), nlohmann::json({80, 96, 80}));
  EXPECT_NE(config::identityHash(a), config::identityHash(b));
  EXPECT_EQ(config::fromJson<infer::InferConfig>(j, "i.").window, b.window);
  // An axis at 0 takes the training patch's size.
  b.window = {0, 40, 0};
  EXPECT_EQ(b.windowFor({24, 24, 16}), (Size3{24, 40, 16}));
  b.window = {-1, 0, 0};
  EXPECT_TRUE(anyHas(problemsOf([&] { b.validate("exp.toml: [infer] "); }),
                     "exp.toml: [infer] window: expected sizes >= 0 (0: the training patch), got -1"));
}

TEST(SettingsJson, ReaderNamesEveryBadKeyTypeAndChoiceAtOnce) {
  const nlohmann::json j = {{"iterations", "many"},
                            {"optimizer", "rmsprop"},
                            {"patch", {1, 2}},
                            {"itrations", 5},
                            {"augment", {{"flip_prob", true}}}};
  auto p = problemsOf([&] { config::fromJson<train::TrainConfig>(j, "run.json: train."); });
  EXPECT_TRUE(anyHas(p, "run.json: train.iterations: expected an integer, got \"many\""));
  EXPECT_TRUE(anyHas(p, "run.json: train.optimizer: expected one of adam, sgd, got 'rmsprop'"));
  EXPECT_TRUE(anyHas(p, "run.json: train.patch: expected an integer or 3 integers (x, y, z), got [1,2]"));
  EXPECT_TRUE(anyHas(p, "run.json: train.itrations: unknown setting"));
  EXPECT_TRUE(anyHas(p, "run.json: train.augment.flip_prob: expected a number, got true"));
  EXPECT_EQ(p.size(), 5u);
}

TEST(SettingsJson, AbsentKeysKeepDefaultsSoOlderFilesStillRead) {
  const auto m = config::fromJson<model::UNetOptions>(nlohmann::json{{"depth", 4}}, "m.");
  EXPECT_EQ(m.depth, 4);
  EXPECT_EQ(m.baseFilters, model::UNetOptions{}.baseFilters);
  const auto i = config::fromJson<infer::InferConfig>(nlohmann::json{{"window_batch", nullptr}}, "i.");  // null: none
  EXPECT_EQ(i.windowBatch, infer::InferConfig{}.windowBatch);
}

TEST(SettingsValidate, ChoicesAndRangesNameTheField) {
  train::TrainConfig t;
  t.schedule = "step";
  t.lr = -1;
  t.augment.flipProb = 2;
  auto p = problemsOf([&] { t.validate("exp.toml: [train] "); });
  EXPECT_TRUE(anyHas(p, "exp.toml: [train] schedule: expected one of poly, cosine, constant, plateau, got 'step'"));
  EXPECT_TRUE(anyHas(p, "exp.toml: [train] lr: expected 0 < lr < 10"));
  // Nested settings are checked after their parent's.
  t.schedule = "poly";
  t.lr = 1e-3;
  p = problemsOf([&] { t.validate("exp.toml: [train] "); });
  EXPECT_TRUE(anyHas(p, "exp.toml: [train] augment.flip_prob: expected a probability in [0, 1], got 2"));

  train::TrainConfig tp;
  tp.precision = "fp8";
  EXPECT_TRUE(anyHas(problemsOf([&] { tp.validate("t: "); }),
                     "t: precision: expected one of auto, fp32, bf16, fp16, got 'fp8'"));
  tp.precision = "fp16";  // float16 autocast exists on CUDA only
  EXPECT_TRUE(anyHas(problemsOf([&] { tp.validate("t: "); }), "t: precision: fp16 needs device cuda"));
  tp.device = "cuda";
  EXPECT_TRUE(problemsOf([&] { tp.validate("t: "); }).empty());
  EXPECT_EQ(tp.resolvedPrecision(), "fp16");
  tp.device = "cpu";
  tp.precision = "auto";
  tp.device = "cuda";
  EXPECT_EQ(tp.resolvedPrecision(), "bf16");  // CUDA autocasts to bf16
  tp.precision = "fp32";
  EXPECT_EQ(tp.resolvedPrecision(), "fp32");
  infer::InferConfig ip;
  ip.precision = "half";
  EXPECT_TRUE(anyHas(problemsOf([&] { ip.validate("i: "); }), "i: precision: expected one of train, fp32, bf16, fp16, got 'half'"));

  model::UNetOptions m;
  m.norm = "layer";
  EXPECT_TRUE(anyHas(problemsOf([&] { m.validate("model: "); }), "model: norm: expected one of instance, batch, group, got 'layer'"));
  preprocess::PreprocessConfig pc;
  EXPECT_TRUE(anyHas(problemsOf([&] { pc.validate("pre: "); }), "pre: channels: expected at least one input channel"));
  metrics::LesionOptions e;
  EXPECT_TRUE(anyHas(problemsOf([&] { e.setCriterion("overlap", "[eval] criterion"); }),
                     "[eval] criterion: expected one of any, anima, iou:T, got 'overlap'"));
}
