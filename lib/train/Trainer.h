// Training of a UNet3d from the HDF5 cache (no torch types in this header).
//
// Iteration-based: each iteration draws one batch from the patch sampler,
// computes Dice + BCE (weights configurable; Dice is the soft batch Dice of
// the lesion channel), and steps Adam or SGD (Nesterov) under a poly or
// cosine schedule with optional linear warm-up. Every `valEvery` iterations
// the held-out studies are predicted with the sliding window and scored by
// lesion-wise F1 (criterion "any", 26-connectivity); best and last
// checkpoints are kept; with early_stop the run ends on a validation plateau
// (EarlyStop.h), and every evaluation is kept as the run's budget curve. A run resumes exactly after an interruption (model,
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
#include "lib/config/TrainConfig.h"
#include "lib/config/InferConfig.h"
#include "lib/config/ModelConfig.h"
#include "lib/config/EvalConfig.h"
#include "lib/preprocess/Preprocess.h"
#include "lib/train/EarlyStop.h"

namespace mst::train {


struct TrainJob {
  std::filesystem::path cache;
  std::vector<std::string> trainIds, valIds;
  std::vector<std::string> testIds;         // scored at each evaluation when train.test_curve (descriptive)
  model::UNetOptions model;
  preprocess::PreprocessConfig preprocess;  // recorded in the checkpoint for prediction
  TrainConfig train;
  infer::InferConfig validation;            // sliding window settings for validation
  metrics::LesionOptions evaluation;        // lesion definition of the curve's metrics ([eval])
  std::filesystem::path outDir;
  bool progress = true;
  std::string label = "train";              // progress bar label
};

struct TrainResult {
  std::filesystem::path best, last;
  int64_t iterations = 0;
  double bestValF1 = -1;       // best validation metric (train.val_metric); -1 without validation
  int64_t bestIteration = 0;
  std::string stopReason;      // "plateau", "cap", "never_learned" or "budget" (see EarlyStop.h)
  std::vector<CurvePoint> curve;  // every evaluation (validation, and test when asked)
  int64_t minComponentVoxels = -1;  // chosen on validation at the best checkpoint ([infer] min_component_choices), else -1
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
