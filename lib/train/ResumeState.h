// Resume state of a training run, written so that a SIGKILL at any moment,
// or a resume file damaged on disk, never changes the result.
//
// A generation is one consistent snapshot: model weights, optimiser state,
// the weights of the best validation so far, and the loop position. Its files
// carry the iteration in their names (gen-000200.model.pt, ...), are written
// first, and only then does state.json, replaced atomically, name them
// together with their sizes and hashes. state.json keeps the newest two
// generations. Loading verifies every file of the newest generation; a
// missing, truncated or altered file is named in a warning and the previous
// generation (or a fresh start) is used instead. Training is deterministic
// per iteration, so replaying from an older generation reproduces the result
// byte for byte.
//
// Layout under the run's model folder:
//   resume/state.json
//   resume/gen-<iteration>.model.pt   plain tensor dict (as checkpoints)
//   resume/gen-<iteration>.optim.pt   torch::serialize archive of the optimiser
//   resume/best-<iteration>.pt        best weights so far (shared by generations)
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <optional>
#include <string>

#include "lib/model/Checkpoint.h"
#include "lib/train/EarlyStop.h"

namespace mst::train {

struct LoopState {
  int64_t iteration = 0;        // iterations completed
  int64_t samplerPosition = 0;  // next batch index of the patch sampler
  double bestValF1 = -1;        // -1: no validation yet
  int64_t bestIteration = 0;    // iteration whose weights are in the best file (0: none)
  std::string status = "running";  // running | interrupted | finished
  StopState stop;               // early stopping (see EarlyStop.h)
  std::vector<CurvePoint> curve;   // every evaluation so far
};

struct FileRecord {
  std::string name;  // relative to the resume folder
  uint64_t size = 0;
  std::string hash;  // FNV-1a of the bytes
};

class ResumeStore {
 public:
  ResumeStore(std::filesystem::path modelDir, std::string configHash);

  struct Loaded {
    LoopState state;
    model::StateDict model;
    std::filesystem::path optimFile;  // load with torch::serialize::InputArchive
    std::optional<FileRecord> best;
  };
  // The newest generation whose files are all intact and whose settings
  // match; nullopt when there is none (fresh start). Each unusable
  // generation is reported with log::warn naming the file.
  std::optional<Loaded> load();

  // Writes the best weights of iteration `it` (referenced by the next commit).
  void saveBest(const model::StateDict& weights, int64_t it);
  // Commits a new generation. `bestIteration` in `s` must name a saved best (or 0).
  void commit(const LoopState& s, const model::StateDict& weights, torch::optim::Optimizer& opt);

  // The best weights named by the last commit (or load), verified.
  std::filesystem::path bestFile() const;
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  std::string configHash_;
  std::optional<FileRecord> best_;       // the committed best
  std::optional<FileRecord> pendingBest_;  // saved since the last commit
  std::string previousGeneration_;       // state.json entry kept as the fallback (JSON text)
};

// Size and FNV-1a hash of a file's bytes.
FileRecord recordFile(const std::filesystem::path& dir, const std::string& name);

}  // namespace mst::train
