// Executes an experiment: data and caches, source models, the sweep's runs
// (train, predict the test set, evaluate), then the report.
//
// Results folder RESULTS/<experiment name>/:
//   experiment.json             resolved definition (provenance)
//   cache/*.h5                  preprocessed studies, shared by every run
//   sources/<id>/               source model, its held-out evaluation, run.json
//   runs/<id>/                  model/, pred/ (masks), per_study.csv, run.json
//   per_study.csv summary.csv comparisons.csv table.{md,tex,csv} figure.{png,pdf} report.md
// A run is complete when its run.json exists; completed runs are skipped,
// interrupted training resumes from its last checkpoint. Every file is
// written under a temporary name and renamed, so parallel runs and killed
// processes never leave half-written results.
#pragma once

#include <filesystem>
#include <string>

#include "lib/experiment/Experiment.h"

namespace mst::experiment {

struct RunOptions {
  std::filesystem::path results = "results";
  std::filesystem::path dataRoot = "demo_data";
  int jobs = 1;            // runs trained in parallel
  int threads = 1;         // cores to use in all (split across jobs)
  int shardK = 1, shardN = 1;
  bool dryRun = false;
  std::string device = "cpu";
  bool report = true;      // rebuild tables and figures at the end
  int stopAfterRuns = 0;   // for tests: stop (as if killed) after this many runs
};

struct RunSummary {
  int total = 0, skipped = 0, completed = 0;
  std::filesystem::path dir;
};

RunSummary runExperiment(const Experiment& e, const RunOptions& options);

// Dry-run lines: "<id>\t<kind>\t<arm>\tn=<size>\trepeat=<r>\t<status>".
std::vector<std::string> describeRuns(const Plan& plan, const std::filesystem::path& expDir, int shardK, int shardN);

}  // namespace mst::experiment
