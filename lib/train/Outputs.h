// What a training run writes besides its resume state: the resume key, the
// exported checkpoints' JSON sidecars, and train_log.jsonl with the progress bar.
#pragma once

#include <array>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "lib/core/Progress.h"
#include "lib/train/ResumeState.h"
#include "lib/train/Trainer.h"

namespace mst::train {

// The resume state belongs to these settings (identity JSON of train, model,
// preprocess). The source model enters by content, not by path, so a results
// folder can move without invalidating fine-tuning runs' state.
std::string resumeKey(const TrainJob& job);

// The JSON sidecar of an exported checkpoint (best.pt.json, last.pt.json): the
// full settings as JSON objects, the loop state and provenance.
// trainedSpacing: the voxel spacing (mm) the network saw: the median over its training studies of the
// cached grid's spacing per axis; `predict` resamples new inputs to it.
std::string sidecarJson(const TrainJob& job, const std::string& configHash, const LoopState& s, const std::string& status,
                        const Vec3& trainedSpacing, const std::string& weightsHash = "");

// Copies `from` to `to` atomically unless `to` already holds the same bytes.
void exportCopy(const std::filesystem::path& from, const std::filesystem::path& to);

void appendLine(const std::filesystem::path& file, const std::string& line);

// train_log.jsonl every log_every iterations, and the progress bar.
class TrainingLog {
 public:
  TrainingLog(const TrainJob& job, std::filesystem::path file);
  // losses: total, Dice loss, BCE of iteration `it` (0-based) on a batch of `batch` patches.
  void step(int64_t it, int64_t batch, const std::array<double, 3>& losses, double lr);
  // Time spent outside the optimisation steps (validation passes): left out of patches_per_s and
  // logged as eval_s, so the rate is the training throughput whatever the validation schedule.
  void exclude(double seconds) { excluded_ += seconds; }
  void finish();

 private:
  const TrainConfig& c_;
  std::filesystem::path file_;
  std::unique_ptr<Progress> bar_;
  double ema_ = -1;
  int64_t patches_ = 0;
  double excluded_ = 0;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace mst::train
