#include <iostream>
#include <sstream>

#include "lib/cli/CliCommon.h"
#include "lib/cli/Commands.h"
#include "lib/core/Error.h"
#include "lib/core/Fs.h"
#include "lib/core/Log.h"
#include "lib/experiment/Experiment.h"
#include "lib/experiment/Runner.h"
#include "lib/report/Report.h"

namespace mst::cli {

namespace {
void parseShard(const std::string& s, int& k, int& n) {
  const auto slash = s.find('/');
  char* e1 = nullptr;
  char* e2 = nullptr;
  if (slash != std::string::npos) {
    k = static_cast<int>(std::strtol(s.substr(0, slash).c_str(), &e1, 10));
    n = static_cast<int>(std::strtol(s.substr(slash + 1).c_str(), &e2, 10));
  }
  if (slash == std::string::npos || *e1 || *e2 || n < 1 || k < 1 || k > n)
    throw InputError("--shard: expected K/N with 1 <= K <= N (e.g. 2/8), got '" + s + "'");
}
}  // namespace

int runRun(const Args& args) {
  po::options_description opts("Options");
  std::vector<std::string> files;
  std::string results, dataRoot, shard, device;
  experiment::RunOptions ro;
  opts.add_options()("experiment", po::value(&files)->required()->multitoken(),
                     "experiment TOML(s) (also positional); several share one queue of runs")(
      "results", po::value(&results)->default_value("results"), "results root; this experiment goes to RESULTS/<name>/")(
      "data-root", po::value(&dataRoot)->default_value("demo_data"), "where built-in synthetic cohorts are generated")(
      "jobs", po::value(&ro.jobs)->default_value(1), "runs trained in parallel (cores are split between them)")(
      "threads", po::value(&ro.threads)->default_value(defaultThreads()), "cores to use in all")(
      "shard", po::value(&shard), "K/N: run only the K-th of N deterministic shares of the runs (cluster arrays)")(
      "device", po::value(&device)->default_value("cpu"), "cpu or cuda")(
      "dry-run", po::bool_switch(&ro.dryRun), "print the runs (id first) with their status and exit")(
      "no-report", "skip rebuilding tables and figures at the end")(
      "sources-only", po::bool_switch(&ro.sourcesOnly), "train the experiment's source models ([source.pretrain], "
                                                        "[sources.NAME.pretrain]) and stop")(
      "no-progress", "no progress bars (logs only)")(
      "run-id", po::value(&ro.onlyRun), "execute only this planned run (id from --dry-run) in this process; the runner "
                                        "starts one such child process per run")(
      "plan-hash", po::value(&ro.expectedPlanHash), "with --run-id: the resolved experiment's hash the runner planned with");
  po::positional_options_description pos;
  pos.add("experiment", -1);
  po::variables_map vm;
  if (!parseArgs("run", "EXP.toml [EXP2.toml ...] [--results DIR] [--jobs N] [--shard K/N] [--dry-run]",
                 "Runs an experiment end to end: synthetic data or manifests, HDF5 caches, source models, every\n"
                 "arm x training size x repeat (train, predict the test set, evaluate), then tables and figures.\n"
                 "Completed runs are skipped and interrupted ones resume, so the same command continues a run.\n"
                 "Several experiments given together share one queue: no core idles while any has work left.",
                 opts, args, vm, &pos))
    return 0;
  ro.results = results;
  ro.dataRoot = dataRoot;
  ro.device = device;
  ro.report = !vm.count("no-report");
  ro.progress = !vm.count("no-progress");
  if (ro.threads < 1) throw InputError("--threads: expected >= 1, got " + std::to_string(ro.threads));
  if (!shard.empty()) parseShard(shard, ro.shardK, ro.shardN);
  if (ro.jobs < 1) throw InputError("--jobs: expected >= 1, got " + std::to_string(ro.jobs));
  if (const char* stop = std::getenv("MST_STOP_AFTER_RUNS")) ro.stopAfterRuns = std::atoi(stop);
  std::vector<experiment::Experiment> es;
  ProblemList problems;  // every file is checked before any work, and all their problems reported at once
  for (const auto& f : files) {
    try {
      es.push_back(experiment::loadExperiment(f));
    } catch (const InputError& e) {
      problems.add(e.what());
    }
  }
  problems.throwIfAny();
  if (!ro.onlyRun.empty() && es.size() != 1) throw InputError("--run-id: expected one experiment file, got " + std::to_string(es.size()));
  const auto sums = es.size() == 1 ? std::vector<experiment::RunSummary>{experiment::runExperiment(es[0], ro)}
                                   : experiment::runExperiments(es, ro);
  if (!ro.dryRun && ro.onlyRun.empty())
    for (const auto& s : sums)
      std::cout << s.dir.string() << ": " << s.completed << " runs completed, " << s.skipped << " already done"
                << (s.reused ? " (" + std::to_string(s.reused) + " reused from other experiments)" : std::string()) << ", of "
                << s.total << (ro.shardN > 1 ? " in shard " + shard : "") << "\n";
  return 0;
}

int runReport(const Args& args) {
  po::options_description opts("Options");
  std::string results;
  opts.add_options()("results", po::value(&results)->required(),
                     "an experiment's results folder, or a folder of them (also positional)");
  po::positional_options_description pos;
  pos.add("results", 1);
  po::variables_map vm;
  if (!parseArgs("report", "RESULTS_DIR",
                 "Rebuilds per_study.csv, summary.csv, comparisons.csv, table.{md,tex,csv}, froc.csv,\n"
                 "lesion_level.csv, strata.csv, budget.csv, training.csv, the figures and report.md from the\n"
                 "stored runs.",
                 opts, args, vm, &pos))
    return 0;
  auto exps = report::findExperiments(results);
  if (exps.empty()) throw InputError("'" + results + "': no experiment results (no experiment.json) found");
  for (const auto& d : exps) {
    auto r = report::buildReport(d);
    std::cout << d.string() << ": " << r.runs << " runs"
              << (r.stale ? " (" + std::to_string(r.stale) + " stale run folder(s) of earlier settings ignored)" : std::string())
              << "; table.md, table.tex, table.csv" << (r.figure ? ", figure.png, figure.pdf" : "")
              << (std::filesystem::exists(d / "froc.csv") ? ", froc.csv, lesion_level.csv, strata.csv" : "") << "\n";
  }
  return 0;
}


}  // namespace mst::cli
