// Experiment definitions (TOML) and their expansion into runs.
//
// An experiment compares initialisation arms across training-set sizes on a
// fixed test set (see docs/EXPERIMENTS.md for every key). Sections:
//   name, task, description, inherit = "base.toml"
//   [data]      cohort (built-in synthetic) or manifest (CSV); channels
//   [source]    checkpoint = "model.pt", or [source.pretrain] (cohort or
//               manifest, channels, train_studies, test_studies, seed,
//               [source.pretrain.train] overrides); more sources as
//               [sources.NAME] tables, chosen per arm with source = "NAME"
//   [test]      subjects = [...] or count + seed; disjoint by subject from
//               every training pool
//   [validation] subjects = [...] or count + seed: one validation set for
//               every arm and size (early stopping, model selection),
//               disjoint by subject from the test set and every pool
//   [sweep]     train_sizes, repeats, seed, val_fraction (per-subset
//               validation split instead of [validation])
//   [[arms]]    name, init = "scratch" | "source", source, compare_to, and any
//               [train] key (freeze, lr_multipliers, iterations, lr, ...)
//               directly or in [arms.train]. In an inheriting file, [[arms]]
//               blocks add arms, or override an inherited arm of the same
//               name key by key; replace_arms = true replaces them all.
//   [preprocess] [model] [train] [infer] [eval] [stats]  defaults for all runs
//
// Training subsets are nested within a repeat: repeat r shuffles the pool
// once (seed, r) and size n takes its first n studies, so smaller sets are
// subsets of larger ones; every arm gets the same subsets (paired design).
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lib/config/InferConfig.h"
#include "lib/io/Manifest.h"
#include "lib/metrics/LesionMetrics.h"
#include "lib/config/ModelConfig.h"
#include "lib/preprocess/Preprocess.h"
#include "lib/stats/Paired.h"
#include "lib/train/Trainer.h"

namespace mst::experiment {

struct DataSpec {
  std::string cohort;                  // built-in synthetic cohort, or
  std::filesystem::path manifest;      // a manifest CSV (relative to the experiment file)
  std::vector<std::string> channels;
  std::string preset = "demo";         // synthetic: demo or paper grid and counts
  int synthCount = 0;                  // synthetic: override the preset's count
  uint64_t synthSeed = 1;
  std::string longitudinalMode = "transform";
  Size3 shape{0, 0, 0};                // synthetic: override the preset's grid
  double spacingMm = 0;                //   and voxel size
  std::string describe() const;
};

struct SourceSpec {
  std::string name = "default";
  std::filesystem::path checkpoint;    // an existing model (checked against checkpoint_hash when given,
  std::string checkpointHash;          //   and against its sidecar's weights_hash), or pretraining:
  bool pretrain = false;
  DataSpec data;
  int trainStudies = 0;                // 0: all but the held-out test studies
  int testStudies = 0;                 // held-out studies to measure the source model
  double valFraction = 0.0;
  int valStudies = 0;                  // validation studies held out of the training subjects (early stopping)
  uint64_t seed = 1;
  train::TrainConfig train;
};

struct ArmSpec {
  std::string name;
  std::string init = "scratch";
  std::string source = "default";
  std::string compareTo;               // the arm this one is compared against (default: [stats] reference_arm)
  train::TrainConfig train;            // resolved: [train] + the arm's overrides
};

struct StatsSpec {
  std::vector<std::string> metrics{"sensitivity", "ppv"};
  std::string referenceArm;            // default: the first arm with init = "source", else the first arm
  std::string test = "two_level";      // p-value shown in tables: "two_level" (runs and studies), "wilcoxon" or "t"
  std::string interval = "se";         // tables: mean +- SE ("se") or mean [t-based CI at ci_level] ("ci")
  std::vector<double> volumeBinsMm3{10, 30, 100, 300, 1000};  // lesion-size strata edges (increasing, > 0)
  double planHalfWidth = 0.05;         // report.md's planning: runs and studies for this CI half-width
  double frocMaxFp = 1.0;              // threshold-free summary: FROC area up to this many FP lesions per study
  stats::PairedOptions paired;
};

struct Experiment {
  std::filesystem::path file;
  std::string name, task, description;
  DataSpec data;
  std::map<std::string, SourceSpec> sources;
  std::vector<std::string> testSubjects;
  int testCount = 0;
  uint64_t testSeed = 1;
  std::vector<int> trainSizes;
  int repeats = 1;
  uint64_t sweepSeed = 1;
  double valFraction = 0.0;
  std::vector<std::string> valSubjects;  // [validation]: a fixed set shared by every arm and size, or
  int valCount = 0;                      //   count + seed, drawn after the test set; disjoint from both
  uint64_t valSeed = 1;                  //   the test set and every training pool
  std::vector<std::string> valIds;       // resolved by the plan (study ids)
  std::vector<ArmSpec> arms;
  preprocess::PreprocessConfig preprocess;
  model::UNetOptions model;
  train::TrainConfig train;
  infer::InferConfig infer;
  metrics::LesionOptions eval;
  StatsSpec stats;
  std::string resolvedJson;            // every setting after inheritance and defaults
};

// Loads and checks the whole file; throws one InputError with every problem.
Experiment loadExperiment(const std::filesystem::path& file);

// A source-model or sweep run with a stable id derived from its resolved configuration.
struct RunSpec {
  std::string id;
  std::string kind;                    // "source" or "sweep"
  std::string arm;                     // sweep: arm name; source: source name
  int trainSize = 0, repeat = 0;
  std::vector<std::string> trainIds, valIds, testIds;
  std::string sourceRunId;             // sweep runs initialised from a pretrained source
  std::filesystem::path sourceCheckpoint;  // an existing checkpoint (no source run)
  train::TrainConfig train;
  std::string configJson;              // resolved configuration of this run (provenance)
};

struct Plan {
  std::vector<RunSpec> sources, runs;  // runs in id order
  std::vector<std::string> testIds;    // study ids of the fixed test set
  std::vector<std::string> valIds;     // study ids of the fixed validation set ([validation])
  std::map<std::string, io::Manifest> manifests;  // "target" and "source:<name>"
};

// Resolves data (generating synthetic cohorts under dataRoot when missing),
// checks manifests, test-set disjointness and sizes, and expands the sweep.
Plan planExperiment(const Experiment& e, const std::filesystem::path& dataRoot, bool generateData, int threads);

// Deterministic sharding: run i (in id order) belongs to shard (i mod n) + 1.
std::vector<RunSpec> shardRuns(const std::vector<RunSpec>& runs, int k, int n);

}  // namespace mst::experiment
