// Training of a UNet3d from the HDF5 cache (no torch types in this header).
//
// Iteration-based: each iteration draws one batch from the patch sampler,
// computes Dice + BCE (weights configurable; Dice is the soft batch Dice of
// the lesion channel), and steps Adam or SGD (Nesterov) under a poly or
// cosine schedule with optional linear warm-up. Every `valEvery` iterations
// the held-out studies are predicted with the sliding window and scored by
// lesion-wise F1 (criterion "any", 26-connectivity); best and last
// checkpoints are kept. A run resumes exactly after an interruption (model,
// optimiser, sampler position, iteration, best weights; see ResumeState.h):
// on CPU, results are bit-identical for a given seed and thread count, and a
// damaged resume file falls back to an older generation or a fresh start.
// LibTorch's generator is process-wide: one training per process at a time
// (the experiment runner starts a process per run).
//
// Output folder:
//   resume/                                 resume state (generations, state.json)
//   best.pt, best.pt.json                   best validation F1 (or last when there is no validation)
//   last.pt, last.pt.json                   the final weights
//   train_log.jsonl                         one JSON object per logged iteration / validation
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "lib/cache/Sampler.h"
#include "lib/infer/InferConfig.h"
#include "lib/model/ModelOptions.h"
#include "lib/preprocess/Preprocess.h"

namespace mst::train {

struct TrainConfig {
  int64_t iterations = 1000;
  int batchSize = 2;
  Size3 patch{32, 32, 32};
  std::string optimizer = "adam";  // "adam" or "sgd" (Nesterov, momentum)
  double lr = 1e-3;
  double momentum = 0.99;
  double weightDecay = 3e-5;
  std::string schedule = "poly";   // "poly" ((1 - t)^0.9), "cosine" or "constant"
  int64_t warmup = 0;              // linear warm-up iterations
  double diceWeight = 1.0, bceWeight = 1.0;
  double lesionFraction = 1.0 / 3.0;
  cache::AugmentConfig augment;
  int64_t valEvery = 200;          // 0: no validation
  int64_t checkpointEvery = 100;
  int64_t logEvery = 10;
  uint64_t seed = 1;
  int samplerThreads = 1;
  std::string device = "cpu";
  // Transfer learning.
  std::string init = "scratch";    // "scratch" or "source"
  std::filesystem::path sourceCheckpoint;
  std::string firstConv = "replicate";  // see model::TransferOptions
  bool reinitHead = false;
  std::vector<std::string> freeze;      // parts kept fixed
  std::map<std::string, double> lrMultipliers;  // part -> multiplier of lr

  void validate(const std::string& where) const;  // throws InputError naming the field
  std::string canonical() const;                  // every setting that changes the result
};

struct TrainJob {
  std::filesystem::path cache;
  std::vector<std::string> trainIds, valIds;
  model::UNetOptions model;
  preprocess::PreprocessConfig preprocess;  // recorded in the checkpoint for prediction
  TrainConfig train;
  infer::InferConfig validation;            // sliding window settings for validation
  std::filesystem::path outDir;
  bool progress = true;
  std::string label = "train";              // progress bar label
};

struct TrainResult {
  std::filesystem::path best, last;
  int64_t iterations = 0;
  double bestValF1 = -1;       // -1 without validation
  int64_t bestIteration = 0;
  double seconds = 0;
  bool resumed = false, alreadyDone = false;
  std::string loadReport;      // transfer: what was loaded, adapted, new
  std::vector<std::string> frozen;
};

// Throws InputError on bad configuration or ids, Error on runtime failures.
TrainResult train(const TrainJob& job);

// For tests: stop after this many iterations as if interrupted (0: never).
void setInterruptAfterForTesting(int64_t iterations);

}  // namespace mst::train
