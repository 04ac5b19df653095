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
  std::string file, results, dataRoot, shard, device;
  experiment::RunOptions ro;
  opts.add_options()("experiment", po::value(&file)->required(), "experiment TOML (also positional)")(
      "results", po::value(&results)->default_value("results"), "results root; this experiment goes to RESULTS/<name>/")(
      "data-root", po::value(&dataRoot)->default_value("demo_data"), "where built-in synthetic cohorts are generated")(
      "jobs", po::value(&ro.jobs)->default_value(1), "runs trained in parallel (cores are split between them)")(
      "threads", po::value(&ro.threads)->default_value(defaultThreads()), "cores to use in all")(
      "shard", po::value(&shard), "K/N: run only the K-th of N deterministic shares of the runs (cluster arrays)")(
      "device", po::value(&device)->default_value("cpu"), "cpu or cuda")(
      "dry-run", po::bool_switch(&ro.dryRun), "print the runs (id first) with their status and exit")(
      "no-report", "skip rebuilding tables and figures at the end")(
      "no-progress", "no progress bars (logs only)")(
      "run-id", po::value(&ro.onlyRun), "execute only this planned run (id from --dry-run) in this process; the runner "
                                        "starts one such child process per run")(
      "plan-hash", po::value(&ro.expectedPlanHash), "with --run-id: the resolved experiment's hash the runner planned with");
  po::positional_options_description pos;
  pos.add("experiment", 1);
  po::variables_map vm;
  if (!parseArgs("run", "EXP.toml [--results DIR] [--jobs N] [--shard K/N] [--dry-run]",
                 "Runs an experiment end to end: synthetic data or manifests, HDF5 caches, source models, every\n"
                 "arm x training size x repeat (train, predict the test set, evaluate), then tables and figures.\n"
                 "Completed runs are skipped and interrupted ones resume, so the same command continues a run.",
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
  auto e = experiment::loadExperiment(file);  // the whole file is checked before any work
  auto s = experiment::runExperiment(e, ro);
  if (!ro.dryRun && ro.onlyRun.empty())
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
                 "Rebuilds per_study.csv, summary.csv, comparisons.csv, table.{md,tex,csv}, figure.{png,pdf} and\n"
                 "report.md from the stored runs.",
                 opts, args, vm, &pos))
    return 0;
  auto exps = report::findExperiments(results);
  if (exps.empty()) throw InputError("'" + results + "': no experiment results (no experiment.json) found");
  for (const auto& d : exps) {
    auto r = report::buildReport(d);
    std::cout << d.string() << ": " << r.runs << " runs"
              << (r.stale ? " (" + std::to_string(r.stale) + " stale run folder(s) of earlier settings ignored)" : std::string())
              << "; table.md, table.tex, table.csv" << (r.figure ? ", figure.png, figure.pdf" : "") << "\n";
  }
  return 0;
}

int runSlurm(const Args& args) {
  po::options_description opts("Options");
  std::string file, out, results, dataRoot, partition, time, account, binary, extra;
  int shards = 0, cpus = 4, gpus = 0, memGb = 16;
  opts.add_options()("experiment", po::value(&file)->required(), "experiment TOML (also positional)")(
      "out", po::value(&out)->required(), "sbatch script to write")(
      "shards", po::value(&shards)->default_value(0), "array size (default: one task per run)")(
      "results", po::value(&results)->default_value("results"), "results root on the shared file system")(
      "data-root", po::value(&dataRoot)->default_value("demo_data"), "synthetic data root on the shared file system")(
      "partition", po::value(&partition)->default_value(""), "Slurm partition")(
      "account", po::value(&account)->default_value(""), "Slurm account")(
      "time", po::value(&time)->default_value("04:00:00"), "time limit per task")(
      "cpus", po::value(&cpus)->default_value(4), "CPUs per task")(
      "gpus", po::value(&gpus)->default_value(0), "GPUs per task (adds --device cuda)")(
      "mem-gb", po::value(&memGb)->default_value(16), "memory per task (GB)")(
      "binary", po::value(&binary)->default_value(""), "path of mstransfer on the cluster (default: this binary)");
  po::positional_options_description pos;
  pos.add("experiment", 1);
  po::variables_map vm;
  if (!parseArgs("slurm", "EXP.toml --out job.sbatch [options]",
                 "Writes a Slurm array job: task K runs 'mstransfer run EXP --shard K/N'. Source models are trained\n"
                 "once (under a lock) and shared; submit the printed report job after the array.",
                 opts, args, vm, &pos))
    return 0;
  {
    ProblemList p;
    if (shards < 0) p.add("slurm: --shards: expected >= 0 (0: one task per run), got " + std::to_string(shards));
    if (cpus < 1) p.add("slurm: --cpus: expected >= 1, got " + std::to_string(cpus));
    if (gpus < 0) p.add("slurm: --gpus: expected >= 0, got " + std::to_string(gpus));
    if (memGb < 1) p.add("slurm: --mem-gb: expected >= 1, got " + std::to_string(memGb));
    p.throwIfAny();
  }
  auto e = experiment::loadExperiment(file);
  auto plan = experiment::planExperiment(e, dataRoot, false, 1);
  const int n = shards > 0 ? std::min<int>(shards, static_cast<int>(plan.runs.size())) : static_cast<int>(plan.runs.size());
  if (binary.empty()) binary = std::filesystem::canonical("/proc/self/exe").string();
  const std::string exp = std::filesystem::absolute(file).string();
  // Absolute paths: the job runs wherever Slurm starts it. Task logs go under RESULTS/<name>/slurm/
  // (created now: Slurm does not create the folder of --output).
  results = std::filesystem::absolute(results).lexically_normal().string();
  dataRoot = std::filesystem::absolute(dataRoot).lexically_normal().string();
  const std::filesystem::path logDir = std::filesystem::path(results) / e.name / "slurm";
  std::filesystem::create_directories(logDir);
  const std::string outAbs = std::filesystem::absolute(out).lexically_normal().string();
  const std::string reportCmd = "sbatch --dependency=afterok:$jobid --job-name=mst-" + e.name + "-report --output=" +
                                (logDir / "report-%j.log").string() + " --wrap \"'" + binary + "' report '" + results +
                                "/" + e.name + "'\"";
  std::ostringstream s;
  s << "#!/bin/bash\n"
    << "# mstransfer: " << e.name << " (" << plan.runs.size() << " runs in " << n << " shards, "
    << plan.sources.size() << " source model(s) trained once and shared)\n"
    << "# Submit:  jobid=$(sbatch --parsable " << outAbs << ")\n"
    << "# Then:    " << reportCmd << "\n"
    << "#SBATCH --job-name=mst-" << e.name << "\n"
    << "#SBATCH --array=1-" << n << "\n"
    << "#SBATCH --cpus-per-task=" << cpus << "\n"
    << "#SBATCH --mem=" << memGb << "G\n"
    << "#SBATCH --time=" << time << "\n"
    << "#SBATCH --output=" << (logDir / "%A_%a.log").string() << "\n";
  if (!partition.empty()) s << "#SBATCH --partition=" << partition << "\n";
  if (!account.empty()) s << "#SBATCH --account=" << account << "\n";
  if (gpus > 0) s << "#SBATCH --gres=gpu:" << gpus << "\n";
  s << "set -euo pipefail\n"
    << "\"" << binary << "\" run \"" << exp << "\" --results \"" << results << "\" --data-root \"" << dataRoot
    << "\" --shard \"${SLURM_ARRAY_TASK_ID}/" << n << "\" --threads \"${SLURM_CPUS_PER_TASK}\" --no-report"
    << (gpus > 0 ? " --device cuda" : "") << "\n";
  writeTextAtomic(out, s.str());
  std::cout << out << ": " << n << " array tasks for " << plan.runs.size() << " runs; submit with\n"
            << "  jobid=$(sbatch --parsable " << outAbs << ")\n"
            << "  " << reportCmd << "\n";
  return 0;
}

}  // namespace mst::cli
