// mstransfer slurm: an experiment as a Slurm array job (task K runs shard K/N),
// and the report job that runs after it; --submit submits both.
#include <cstdio>
#include <iostream>
#include <sstream>

#include "lib/cli/CliCommon.h"
#include "lib/cli/Commands.h"
#include "lib/core/Error.h"
#include "lib/core/Fs.h"
#include "lib/experiment/Experiment.h"

namespace mst::cli {

namespace {

namespace fs = std::filesystem;

struct SlurmOptions {
  std::string file, out, results, dataRoot, partition, time, reportTime, account, binary, mem;
  int shards = 0, cpus = 4, gpus = 0, memGb = 16;
  bool submit = false;
};

std::string shellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// The #SBATCH lines both jobs share.
std::string commonHeader(const SlurmOptions& o) {
  std::string h;
  if (!o.partition.empty()) h += "#SBATCH --partition=" + o.partition + "\n";
  if (!o.account.empty()) h += "#SBATCH --account=" + o.account + "\n";
  return h;
}

std::string arrayScript(const SlurmOptions& o, const experiment::Experiment& e, const experiment::Plan& plan, int n,
                        const fs::path& logDir, const std::string& exp) {
  std::ostringstream s;
  s << "#!/bin/bash\n"
    << "# mstransfer: " << e.name << " (" << plan.runs.size() << " runs in " << n << " shards, " << plan.sources.size()
    << " source model(s) trained once and shared). Written by 'mstransfer slurm'.\n"
    << "# Resubmitting after a failed task reruns only the unfinished runs.\n"
    << "#SBATCH --job-name=mst-" << e.name << "\n"
    << "#SBATCH --array=1-" << n << "\n"
    << "#SBATCH --cpus-per-task=" << o.cpus << "\n"
    << "#SBATCH --mem=" << o.mem << "\n"
    << "#SBATCH --time=" << o.time << "\n"
    << "#SBATCH --output=" << (logDir / "%A_%a.log").string() << "\n"
    << commonHeader(o);
  if (o.gpus > 0) s << "#SBATCH --gres=gpu:" << o.gpus << "\n";
  s << "set -euo pipefail\n"
    << "\"" << o.binary << "\" run \"" << exp << "\" --results \"" << o.results << "\" --data-root \"" << o.dataRoot
    << "\" --shard \"${SLURM_ARRAY_TASK_ID}/" << n << "\" --threads \"${SLURM_CPUS_PER_TASK}\" --no-report --no-progress"
    << (o.gpus > 0 ? " --device cuda" : "") << "\n";
  return s.str();
}

std::string reportScript(const SlurmOptions& o, const experiment::Experiment& e, const fs::path& logDir) {
  std::ostringstream s;
  s << "#!/bin/bash\n"
    << "# mstransfer: tables and figures of " << e.name << " once every array task has finished.\n"
    << "#SBATCH --job-name=mst-" << e.name << "-report\n"
    << "#SBATCH --cpus-per-task=1\n"
    << "#SBATCH --mem=" << o.mem << "\n"
    << "#SBATCH --time=" << o.reportTime << "\n"
    << "#SBATCH --output=" << (logDir / "report-%j.log").string() << "\n"
    << commonHeader(o) << "set -euo pipefail\n"
    << "\"" << o.binary << "\" report \"" << o.results << "/" << e.name << "\"\n";
  return s.str();
}

// Runs `sbatch --parsable ARGS` and returns the job id it prints.
std::string sbatch(const std::string& args) {
  const std::string cmd = "sbatch --parsable " + args + " 2>&1";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (!pipe) throw Error("slurm --submit: cannot run sbatch");
  std::string out;
  char buf[256];
  while (std::fgets(buf, sizeof buf, pipe)) out += buf;
  const int status = ::pclose(pipe);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  const std::string id = out.substr(0, out.find(';'));  // "id" or "id;cluster"
  if (status != 0 || id.empty() || id.find_first_not_of("0123456789") != std::string::npos)
    throw Error("slurm --submit: '" + cmd.substr(0, cmd.size() - 5) + "' failed" +
                (status == 127 * 256 ? " (sbatch not found: Slurm's client commands must be on PATH)" : "") + ": " + out);
  return id;
}

void checkOptions(const SlurmOptions& o) {
  ProblemList p;
  if (o.shards < 0) p.add("slurm: --shards: expected >= 0 (0: one task per run), got " + std::to_string(o.shards));
  if (o.cpus < 1) p.add("slurm: --cpus: expected >= 1, got " + std::to_string(o.cpus));
  if (o.gpus < 0) p.add("slurm: --gpus: expected >= 0, got " + std::to_string(o.gpus));
  if (o.memGb < 1) p.add("slurm: --mem-gb: expected >= 1, got " + std::to_string(o.memGb));
  if (!o.mem.empty() && o.mem.find_first_not_of("0123456789") == 0)
    p.add("slurm: --mem: expected a size such as 16G or 4000M, got '" + o.mem + "'");
  p.throwIfAny();
}

}  // namespace

int runSlurm(const Args& args) {
  po::options_description opts("Options");
  SlurmOptions o;
  opts.add_options()("experiment", po::value(&o.file)->required(), "experiment TOML (also positional)")(
      "submit", po::bool_switch(&o.submit), "submit the array job and the dependent report job with sbatch")(
      "out", po::value(&o.out)->default_value(""), "array job script (default: RESULTS/<name>/slurm/array.sbatch)")(
      "shards", po::value(&o.shards)->default_value(0), "array size (default: one task per run)")(
      "results", po::value(&o.results)->default_value("results"), "results root on the shared file system")(
      "data-root", po::value(&o.dataRoot)->default_value("demo_data"), "synthetic data root on the shared file system")(
      "partition", po::value(&o.partition)->default_value(""), "Slurm partition")(
      "account", po::value(&o.account)->default_value(""), "Slurm account")(
      "time", po::value(&o.time)->default_value("04:00:00"), "time limit per task")(
      "report-time", po::value(&o.reportTime)->default_value("00:30:00"), "time limit of the report job")(
      "cpus", po::value(&o.cpus)->default_value(4), "CPUs per task (its --threads)")(
      "gpus", po::value(&o.gpus)->default_value(0), "GPUs per task (adds --device cuda)")(
      "mem", po::value(&o.mem)->default_value(""), "memory per task, as Slurm takes it (e.g. 16G; default: --mem-gb)")(
      "mem-gb", po::value(&o.memGb)->default_value(16), "memory per task in GB")(
      "binary", po::value(&o.binary)->default_value(""), "path of mstransfer on the cluster (default: this binary)");
  po::positional_options_description pos;
  pos.add("experiment", 1);
  po::variables_map vm;
  if (!parseArgs("slurm", "EXP.toml [--submit] [--shards N] [--partition P] [--gpus G] [--time T] [--mem M]",
                 "Writes a Slurm array job (task K runs 'mstransfer run EXP --shard K/N'; source models are trained\n"
                 "once, under a lock, and shared) and a report job to run after it. With --submit, submits both\n"
                 "(the report with --dependency=afterok on the array) and prints their job ids; without, prints the\n"
                 "commands. Task logs go to RESULTS/<name>/slurm/.",
                 opts, args, vm, &pos))
    return 0;
  checkOptions(o);
  if (o.mem.empty()) o.mem = std::to_string(o.memGb) + "G";
  auto e = experiment::loadExperiment(o.file);
  auto plan = experiment::planExperiment(e, o.dataRoot, false, 1);
  const int n = o.shards > 0 ? std::min<int>(o.shards, static_cast<int>(plan.runs.size())) : static_cast<int>(plan.runs.size());
  if (o.binary.empty()) o.binary = fs::canonical("/proc/self/exe").string();
  // Absolute paths: the jobs run wherever Slurm starts them. Task logs go under RESULTS/<name>/slurm/
  // (created now: Slurm does not create the folder of --output).
  o.results = fs::absolute(o.results).lexically_normal().string();
  o.dataRoot = fs::absolute(o.dataRoot).lexically_normal().string();
  const fs::path logDir = fs::path(o.results) / e.name / "slurm";
  fs::create_directories(logDir);
  const fs::path arrayFile = fs::absolute(o.out.empty() ? logDir / "array.sbatch" : fs::path(o.out)).lexically_normal();
  const fs::path reportFile = logDir / "report.sbatch";
  writeTextAtomic(arrayFile, arrayScript(o, e, plan, n, logDir, fs::absolute(o.file).string()));
  writeTextAtomic(reportFile, reportScript(o, e, logDir));
  const std::string submitArray = "sbatch --parsable " + shellQuote(arrayFile.string());
  const std::string submitReport = "sbatch --dependency=afterok:$jobid " + shellQuote(reportFile.string());
  if (!o.submit) {
    std::cout << arrayFile.string() << ": " << n << " array tasks for " << plan.runs.size() << " runs; "
              << reportFile.string() << ": the report. Submit with\n"
              << "  jobid=$(" << submitArray << ")\n"
              << "  " << submitReport << "\n";
    return 0;
  }
  const std::string arrayId = sbatch(shellQuote(arrayFile.string()));
  const std::string reportId = sbatch("--dependency=afterok:" + arrayId + " " + shellQuote(reportFile.string()));
  std::cout << "array job " << arrayId << ": " << n << " tasks for " << plan.runs.size() << " runs (" << arrayFile.string()
            << ")\nreport job " << reportId << ": after every task succeeds (" << reportFile.string() << ")\nlogs: "
            << logDir.string() << "/\n";
  return 0;
}

}  // namespace mst::cli
