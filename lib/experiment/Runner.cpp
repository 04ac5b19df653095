#include "lib/experiment/Runner.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "lib/cache/Cache.h"
#include "lib/core/Error.h"
#include "lib/core/FileLock.h"
#include "lib/core/Fs.h"
#include "lib/core/Hash.h"
#include "lib/core/Log.h"
#include "lib/core/Version.h"
#include "lib/eval/Evaluation.h"
#include "lib/infer/Predictor.h"
#include "lib/report/Report.h"
#include "lib/train/Threads.h"

namespace mst::experiment {

namespace fs = std::filesystem;

namespace {

double since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

io::Manifest subset(const io::Manifest& m, const std::vector<std::string>& ids) {
  io::Manifest out = m;
  out.rows.clear();
  for (const auto& id : ids)
    for (const auto& r : m.rows)
      if (r.id() == id) out.rows.push_back(r);
  return out;
}

std::string runStatus(const fs::path& dir) {
  if (fs::exists(dir / "run.json")) return "done";
  if (fs::exists(dir / "model" / "last.pt.json")) return "partial";
  return "pending";
}

struct Context {
  const Experiment& e;
  const Plan& plan;
  fs::path expDir;
  fs::path targetCache;
  std::map<std::string, fs::path> sourceCache;  // source name -> cache
  RunOptions opt;
};

// Train, predict the test studies, evaluate, record. Returns the run folder.
void executeRun(const Context& cx, const RunSpec& r, const fs::path& dir, const fs::path& cacheFile,
                const io::Manifest& manifest, const preprocess::PreprocessConfig& pre, const fs::path& sourceCkpt,
                bool progress) {
  const auto t0 = std::chrono::steady_clock::now();
  train::TrainJob job;
  job.cache = cacheFile;
  job.trainIds = r.trainIds;
  job.valIds = r.valIds;
  job.model = cx.e.model;
  job.model.inChannels = static_cast<int>(pre.channels.size());
  job.preprocess = pre;
  job.train = r.train;
  job.train.device = cx.opt.device;
  if (!sourceCkpt.empty()) job.train.sourceCheckpoint = sourceCkpt;
  job.validation = cx.e.infer;
  job.outDir = dir / "model";
  job.progress = progress;
  job.label = r.id;
  auto tr = train::train(job);
  const double trainS = since(t0);
  const auto t1 = std::chrono::steady_clock::now();
  infer::PredictOptions po;
  po.infer = cx.e.infer;
  po.device = cx.opt.device;
  po.progress = false;
  cache::CacheReader reader(cacheFile);
  infer::predictFromCache(job.outDir / "best.pt", reader, r.testIds, dir / "pred", po);
  for (const auto& id : r.testIds) fs::remove(dir / "pred" / eval::probFileName(id));  // masks are kept
  const double predS = since(t1);
  const auto t2 = std::chrono::steady_clock::now();
  const io::Manifest test = subset(manifest, r.testIds);
  auto rows = eval::evaluateSet(eval::findPredictions(test, dir / "pred"), cx.e.eval, false);
  eval::writePerStudyCsv(dir / "per_study.csv", rows, true);
  const double evalS = since(t2);
  nlohmann::json j;
  j["id"] = r.id;
  j["kind"] = r.kind;
  j["arm"] = r.arm;
  j["train_size"] = r.trainSize;
  j["repeat"] = r.repeat;
  j["status"] = "done";
  j["config"] = nlohmann::json::parse(r.configJson);
  j["seed"] = r.train.seed;
  j["train_result"] = {{"iterations", tr.iterations}, {"best_iteration", tr.bestIteration},
                       {"best_val_f1", tr.bestValF1}, {"resumed", tr.resumed}, {"load_report", tr.loadReport},
                       {"frozen_parameters", tr.frozen.size()}};
  if (!sourceCkpt.empty()) j["source_checkpoint"] = sourceCkpt.string();
  j["timings_s"] = {{"train", trainS}, {"predict", predS}, {"evaluate", evalS}};
  j["threads"] = train::torchThreads();
  j["device"] = cx.opt.device;
  j["git_commit"] = gitCommit();
  j["mstransfer_version"] = version();
  j["libraries"] = libraryVersions();
  j["compiler"] = compilerVersion();
  char host[256] = {0};
  ::gethostname(host, sizeof host - 1);
  j["host"] = host;
  writeTextAtomic(dir / "run.json", j.dump(2));
}

}  // namespace

std::vector<std::string> describeRuns(const Plan& plan, const fs::path& expDir, int k, int n) {
  std::vector<std::string> lines;
  for (const auto& s : plan.sources)
    lines.push_back(s.id + "\tsource\t" + s.arm + "\ttrain=" + std::to_string(s.trainIds.size()) +
                    "\ttest=" + std::to_string(s.testIds.size()) + "\t" +
                    runStatus(expDir.parent_path() / "_shared" / "sources" / s.id) +
                    "\t(shared by all shards)");
  for (const auto& r : shardRuns(plan.runs, k, n))
    lines.push_back(r.id + "\tsweep\t" + r.arm + "\tn=" + std::to_string(r.trainSize) +
                    "\trepeat=" + std::to_string(r.repeat) + "\t" + runStatus(expDir / "runs" / r.id));
  return lines;
}

RunSummary runExperiment(const Experiment& e, const RunOptions& opt) {
  RunSummary sum;
  const fs::path expDir = opt.results / e.name;
  sum.dir = expDir;
  const int jobs = std::max(1, opt.jobs);
  if (e.name == "_shared") throw InputError(e.file.string() + ": name '_shared' is reserved");
  train::setThreads(std::max(1, opt.threads / jobs));
  if (opt.device != "cpu") infer::checkDevice(opt.device);
  Plan plan = planExperiment(e, opt.dataRoot, !opt.dryRun, opt.threads);
  if (opt.dryRun) {
    for (const auto& l : describeRuns(plan, expDir, opt.shardK, opt.shardN)) std::cout << l << "\n";
    return sum;
  }
  fs::create_directories(expDir);
  writeTextAtomic(expDir / "experiment.json", e.resolvedJson);
  const auto runs = shardRuns(plan.runs, opt.shardK, opt.shardN);
  sum.total = static_cast<int>(runs.size());

  // Caches: one per data set and preprocessing setting, shared by all runs.
  Context cx{e, plan, expDir, {}, {}, opt};
  cache::BuildOptions bo;
  bo.threads = opt.threads;
  // Caches and source models live under RESULTS/_shared/, keyed by what made them, so that
  // experiments with the same data or the same source (e.g. FLAIR and new lesions) share them.
  const fs::path shared = opt.results / "_shared";
  {
    const std::string key = Hasher().str(e.data.describe()).str(e.preprocess.canonical()).hex().substr(0, 10);
    cx.targetCache = shared / "cache" / ("target-" + key + ".h5");
    log::info(e.name, ": preprocessing the target data into ", cx.targetCache.string());
    cache::buildCache(plan.manifests.at("target"), e.preprocess, cx.targetCache, bo);
  }
  std::set<std::string> neededSources;
  for (const auto& r : runs)
    if (!r.sourceRunId.empty()) neededSources.insert(r.sourceRunId);
  for (const auto& s : plan.sources) {
    if (!neededSources.count(s.id) && opt.shardN > 1) continue;
    const SourceSpec& spec = e.sources.at(s.arm);
    preprocess::PreprocessConfig pre = e.preprocess;
    pre.channels = spec.data.channels;
    const std::string key = Hasher().str(spec.data.describe()).str(pre.canonical()).hex().substr(0, 10);
    cx.sourceCache[s.arm] = shared / "cache" / ("source-" + key + ".h5");
    const fs::path dir = shared / "sources" / s.id;
    {
      FileLock lock(shared / "sources" / (s.id + ".lock"));  // one process trains it, the others wait and reuse
      if (!fs::exists(dir / "run.json")) {
        log::info(e.name, ": source model ", s.id, " (", s.trainIds.size(), " training studies)");
        cache::buildCache(plan.manifests.at("source:" + s.arm), pre, cx.sourceCache[s.arm], bo);
        executeRun(cx, s, dir, cx.sourceCache[s.arm], plan.manifests.at("source:" + s.arm), pre, {}, true);
      } else {
        log::info(e.name, ": source model ", s.id, " already trained");
      }
    }
    // The experiment keeps a record of its source's evaluation.
    for (const char* f : {"run.json", "per_study.csv"})
      writeTextAtomic(expDir / "sources" / s.id / f, readText(dir / f));
  }
  auto sourceCheckpoint = [&](const RunSpec& r) -> fs::path {
    if (!r.sourceRunId.empty()) return shared / "sources" / r.sourceRunId / "model" / "best.pt";
    return r.sourceCheckpoint;
  };

  // The sweep.
  std::vector<const RunSpec*> pending;
  for (const auto& r : runs) {
    if (fs::exists(expDir / "runs" / r.id / "run.json")) ++sum.skipped;
    else pending.push_back(&r);
  }
  log::info(e.name, ": ", runs.size(), " runs (", sum.skipped, " already done, ", pending.size(), " pending), ", jobs,
            " in parallel");
  std::atomic<size_t> next{0};
  std::atomic<int> completed{0}, started{0};
  std::mutex mu;
  std::exception_ptr failure;
  const auto start = std::chrono::steady_clock::now();
  auto worker = [&]() {
    for (size_t i = next++; i < pending.size(); i = next++) {
      if (opt.stopAfterRuns > 0 && started++ >= opt.stopAfterRuns) return;  // tests: as if killed here
      const RunSpec& r = *pending[i];
      try {
        executeRun(cx, r, expDir / "runs" / r.id, cx.targetCache, plan.manifests.at("target"), e.preprocess,
                   sourceCheckpoint(r), jobs == 1);
        const int c = ++completed;
        const double el = since(start);
        std::lock_guard<std::mutex> l(mu);
        log::info("[", c + sum.skipped, "/", sum.total, "] ", r.id, " done (", static_cast<int>(el), " s elapsed, about ",
                  static_cast<int>(el / c * (static_cast<double>(pending.size()) - c)), " s left)");
      } catch (...) {
        std::lock_guard<std::mutex> l(mu);
        if (!failure) failure = std::current_exception();
        next = pending.size();
      }
    }
  };
  std::vector<std::thread> pool;
  for (int j = 0; j < jobs; ++j) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
  sum.completed = completed;
  if (opt.report && (opt.stopAfterRuns == 0 || completed < opt.stopAfterRuns)) report::buildReport(expDir);
  return sum;
}

}  // namespace mst::experiment
