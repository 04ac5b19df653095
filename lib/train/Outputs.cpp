#include "lib/train/Outputs.h"

#include <torch/torch.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "lib/config/Json.h"
#include "lib/core/Fs.h"
#include "lib/core/Hash.h"
#include "lib/core/Version.h"
#include "lib/train/Schedule.h"

namespace mst::train {

std::string resumeKey(const TrainJob& job) {
  TrainConfig identity = job.train;
  if (identity.init == "source") {
    const auto& ck = job.train.sourceCheckpoint;
    const FileRecord src = recordFile(ck.parent_path(), ck.filename().string());
    identity.sourceCheckpoint = "content:" + src.hash + ":" + std::to_string(src.size);
  }
  return Hasher()
      .str(config::toJson(identity, true).dump())
      .str(config::toJson(job.model).dump())
      .str(config::toJson(job.preprocess, true).dump())
      .hex();
}

std::string sidecarJson(const TrainJob& job, const std::string& configHash, const LoopState& s, const std::string& status,
                        const Vec3& trainedSpacing, const std::string& weightsHash) {
  const TrainConfig& c = job.train;
  nlohmann::json j;
  j["model"] = config::toJson(job.model);
  j["preprocess"] = config::toJson(job.preprocess);
  j["train"] = config::toJson(c);
  j["patch"] = {c.patch[0], c.patch[1], c.patch[2]};
  j["trained_spacing_mm"] = {trainedSpacing[0], trainedSpacing[1], trainedSpacing[2]};
  j["iteration"] = s.iteration;
  j["iterations"] = c.iterations;
  j["status"] = status;
  j["config_hash"] = configHash;
  if (!weightsHash.empty()) j["weights_hash"] = weightsHash;  // of the .pt file's bytes (fileHash)
  j["best_val_f1"] = s.bestValF1 < 0 ? nlohmann::json(nullptr) : nlohmann::json(s.bestValF1);
  j["best_iteration"] = s.bestIteration;
  j["val_metric"] = c.valMetric;
  if (status != "running") j["stop_reason"] = stopReason(s.stop, c.earlyStop);
  j["train_studies"] = job.trainIds;
  j["val_studies"] = job.valIds;
  j["seed"] = c.seed;
  j["threads"] = torch::get_num_threads();
  j["git_commit"] = gitCommit();
  j["mstransfer_version"] = version();
  j["libraries"] = libraryVersions();
  return j.dump(2);
}

void exportCopy(const std::filesystem::path& from, const std::filesystem::path& to) {
  const std::string bytes = readText(from);
  if (std::filesystem::exists(to) && readText(to) == bytes) return;
  writeTextAtomic(to, bytes);
}

void appendLine(const std::filesystem::path& file, const std::string& line) {
  std::ofstream f(file, std::ios::app);
  f << line << "\n";
}

TrainingLog::TrainingLog(const TrainJob& job, std::filesystem::path file) : c_(job.train), file_(std::move(file)) {
  if (job.progress) bar_ = std::make_unique<Progress>(job.label, c_.iterations);
}

void TrainingLog::step(int64_t it, int64_t batch, const std::array<double, 3>& losses, double lr) {
  const auto [lv, dval, bval] = losses;
  patches_ += batch;
  ema_ = ema_ < 0 ? lv : 0.95 * ema_ + 0.05 * lv;
  const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double training = el - excluded_;
  const double rate = training > 0 ? static_cast<double>(patches_) / training : 0.0;
  if ((it + 1) % c_.logEvery == 0 || it + 1 == c_.iterations)
    appendLine(file_, nlohmann::json({{"iteration", it + 1}, {"loss", lv}, {"dice_loss", dval}, {"bce", bval},
                                      {"lr", lr}, {"patches_per_s", rate}, {"elapsed_s", el}, {"eval_s", excluded_}})
                          .dump());
  if (bar_) {
    char extra[96];
    std::snprintf(extra, sizeof extra, "loss %.3f | %.1f patches/s", ema_, rate);
    bar_->update(it + 1, extra);
  }
}

void TrainingLog::finish() {
  if (bar_) bar_->finish(ema_ >= 0 ? "loss " + std::to_string(ema_).substr(0, 5) : "");
}

}  // namespace mst::train
