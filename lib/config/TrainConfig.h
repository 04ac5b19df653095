// Training settings ([train] of an experiment file; `mstransfer train`).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "lib/config/AugmentConfig.h"
#include "lib/config/Fields.h"
#include "lib/core/Volume.h"

namespace mst::train {

struct TrainConfig {
  int64_t iterations = 1000;
  int batchSize = 2;
  Size3 patch{32, 32, 32};
  std::string optimizer = "adam";  // "adam" or "sgd" (Nesterov, momentum)
  double lr = 1e-3;
  double emaDecay = 0;             // > 0: evaluate, select and export an exponential moving average of the weights
  double momentum = 0.99;
  double weightDecay = 3e-5;
  std::string schedule = "poly";   // "poly" ((1 - t)^0.9), "cosine", "constant" or "plateau" (see below)
  double lrFactor = 0.5;           // plateau: the learning rate is multiplied by this after
  int lrPatience = 2;              //   each lr_patience evaluations without improvement
  int64_t warmup = 0;              // linear warm-up iterations
  double diceWeight = 1.0, bceWeight = 1.0;
  double lesionFraction = 1.0 / 3.0;
  cache::AugmentConfig augment;
  int64_t valEvery = 200;          // 0: no validation
  // Early stopping on the validation metric (lib/train/EarlyStop.h): `iterations` is then the cap.
  bool earlyStop = false;
  // The validation metric (means over the validation studies): "f1_anima" (lesion-wise F1 under the
  // MSSEG/Anima overlap rule, which a prediction of one huge blob cannot game), or "f1", "sensitivity",
  // "ppv", "dice" under the run's [eval] definition; or "f1_anima_pooled", "f1_pooled" (the lesion-wise F1
  // of all validation lesions in one pool: studies without targets count only through false positives).
  std::string valMetric = "f1_anima";
  int patience = 5;                // evaluations without an improvement of more than min_delta
  double minDelta = 0.01;
  int64_t minIterations = 0;       // nothing stops before this
  double valOverlap = -1;          // sliding-window overlap of these evaluations (-1: as [infer])
  bool testCurve = false;          // also score the test studies at every evaluation (descriptive, never for selection)
  int64_t checkpointEvery = 100;
  int64_t logEvery = 10;
  uint64_t seed = 1;
  int samplerThreads = 1;
  std::string device = "cpu";
  // Numeric precision of the forward pass: "fp32"; "bf16" (autocast to bfloat16; losses, Dice and optimiser
  // state stay fp32); "fp16" (CUDA only: autocast to float16 with dynamic loss scaling, GradScaler.h);
  // "auto": bf16 where the CPU has AVX512-BF16 or AMX, and on CUDA, else fp32.
  std::string precision = "auto";
  // Transfer learning.
  std::string init = "scratch";    // "scratch" or "source"
  std::filesystem::path sourceCheckpoint;
  std::string firstConv = "replicate";  // see model::TransferOptions
  bool reinitHead = false;
  std::vector<std::string> freeze;      // parts kept fixed
  std::map<std::string, double> lrMultipliers;  // part -> multiplier of lr

  void validate(const std::string& where) const;  // throws InputError naming the field
  // "fp32", "bf16" or "fp16": `precision` with "auto" decided for `device` on this machine (lib/core/CpuFeatures.h).
  std::string resolvedPrecision() const;

  template <class V>
  void fields(V& v) {
    using namespace config;
    v("iterations", iterations);
    v("batch_size", batchSize);
    v("patch", patch);
    v.choice("optimizer", optimizer, {"adam", "sgd"});
    v("lr", lr);
    v("ema_decay", emaDecay);
    v("momentum", momentum);
    v("weight_decay", weightDecay);
    v.choice("schedule", schedule, {"poly", "cosine", "constant", "plateau"});
    v("lr_factor", lrFactor);
    v("lr_patience", lrPatience);
    v("warmup", warmup);
    v("dice_weight", diceWeight);
    v("bce_weight", bceWeight);
    v("lesion_fraction", lesionFraction);
    v.nested("augment", augment);
    v("val_every", valEvery);
    v("early_stop", earlyStop);
    v.choice("val_metric", valMetric, {"f1_anima", "f1", "sensitivity", "ppv", "dice", "f1_anima_pooled", "f1_pooled"});
    v("patience", patience);
    v("min_delta", minDelta);
    v("min_iterations", minIterations);
    v("val_overlap", valOverlap);
    v("test_curve", testCurve);
    v("checkpoint_every", checkpointEvery, kOperational);
    v("log_every", logEvery, kOperational);
    v("seed", seed, kDerived);
    v("sampler_threads", samplerThreads, kOperational);
    v("device", device, kDerived);
    v.choice("precision", precision, {"auto", "fp32", "bf16", "fp16"});
    v.choice("init", init, {"scratch", "source"}, kDerived);
    v("source_checkpoint", sourceCheckpoint, kDerived);
    v.choice("first_conv", firstConv, {"replicate", "average", "zero"});
    v("reinit_head", reinitHead);
    v("freeze", freeze);
    v("lr_multipliers", lrMultipliers);
  }
};

}  // namespace mst::train
