// Executes an experiment: data and caches, source models, the sweep's runs
// (train, predict the test set, evaluate), then the report.
//
// Results folder RESULTS/<experiment name>/:
//   experiment.json             resolved definition (provenance)
//   ../_shared/cache/*.h5       preprocessed studies, shared by every run and experiment
//   ../_shared/sources/<id>/    source models, trained once and shared
//   sources/<id>/               a copy of the source model's run.json and held-out evaluation
//   runs/<id> -> ../../_shared/runs/<id>/   model/, pred/ (masks), per_study.csv, run.json: each run
//                               is stored once and reused by every experiment that plans the same run
//   per_study.csv summary.csv comparisons.csv table.{md,tex,csv} figure.{png,pdf} report.md
//   plan.json                   the ids of the current plan's runs (what the report reads)
// Every run (source or sweep) executes in a child process of its own with
// threads / jobs threads, so concurrent runs share no random generator or
// thread pool: a run's result depends on its configuration, seed and
// per-run thread count only. A run is complete when run.json (status done)
// and the per_study.csv it records by hash exist; completed runs are skipped,
// interrupted training resumes from its last consistent resume state. Every
// file is written under a temporary name and renamed, so parallel runs and
// killed processes (SIGKILL included: children die with the runner) never
// leave half-written results. A failed run does not stop the others.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

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
  bool progress = true;    // progress bars of the runs (with --jobs 1)
  bool sourcesOnly = false;  // train every planned source model (to its plateau) and stop: no sweep, no report
  // Child mode: execute only this planned run in this process (the runner starts one child
  // process per run; a Slurm task or a user may do the same).
  std::string onlyRun;
  std::string expectedPlanHash;  // child mode: refuse when the experiment file changed meanwhile
  std::filesystem::path binary;  // the mstransfer executable for child processes (default: this one)
};

struct RunSummary {
  int total = 0, skipped = 0, completed = 0;
  int reused = 0;                   // of skipped: finished by another experiment, linked
  std::vector<std::string> failed;  // runs that failed (the others are complete)
  std::filesystem::path dir;
};

RunSummary runExperiment(const Experiment& e, const RunOptions& options);
// Several experiments through one queue of `jobs` workers (the demo's three tasks): each is planned
// and its target cache built first; then every source model, de-novo run and fine-tuned run of all
// of them shares the workers, so no core idles while any experiment has work left. A run that two
// experiments plan trains once. Each experiment's report is built when its runs are complete.
std::vector<RunSummary> runExperiments(const std::vector<Experiment>& es, const RunOptions& options);

// Dry-run lines: "<id>\t<kind>\t<arm>\tn=<size>\trepeat=<r>\t<status>\t<source>", status one of new,
// partial, done, reused (from EXPERIMENT); then "summary: ..." with how many runs will train.
std::vector<std::string> describeRuns(const Experiment& e, const Plan& plan, const std::filesystem::path& expDir,
                                      int shardK, int shardN);

}  // namespace mst::experiment
