#include "lib/experiment/Runner.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <chrono>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "lib/cache/Cache.h"
#include "lib/config/Json.h"
#include "lib/core/CpuFeatures.h"
#include "lib/core/Csv.h"
#include "lib/core/Error.h"
#include "lib/core/FileLock.h"
#include "lib/core/Fs.h"
#include "lib/core/Hash.h"
#include "lib/core/Log.h"
#include "lib/core/Parallel.h"
#include "lib/core/Process.h"
#include "lib/core/Version.h"
#include "lib/eval/Evaluation.h"
#include "lib/eval/LesionAnalysis.h"
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
  if (report::runComplete(dir)) return "done";
  if (fs::exists(dir / "model" / "resume" / "state.json") || fs::exists(dir / "run.json")) return "partial";
  return "new";
}

// Sweep runs are stored once under RESULTS/_shared/runs/<id>/ (ids derive from everything that makes
// a run) and linked from each experiment that plans them as runs/<id>; a real folder there (results
// written before runs were shared) is used in place.
fs::path sharedRunDir(const fs::path& expDir, const std::string& id) {
  const fs::path local = expDir / "runs" / id;
  if (fs::is_directory(fs::symlink_status(local))) return local;
  return expDir.parent_path() / "_shared" / "runs" / id;
}

// runs/<id> -> ../../_shared/runs/<id> (relative, so a results folder can move as a whole).
void linkRun(const fs::path& expDir, const std::string& id) {
  const fs::path link = expDir / "runs" / id;
  if (fs::is_directory(fs::symlink_status(link)) || fs::is_symlink(link)) return;
  fs::create_directories(link.parent_path());
  const fs::path tmp = expDir / "runs" / (".tmp-" + std::to_string(::getpid()) + "-" + id);
  std::error_code ec;
  fs::remove(tmp, ec);
  fs::create_directory_symlink(fs::path("..") / ".." / "_shared" / "runs" / id, tmp);
  fs::rename(tmp, link);
}

// Who trained a complete run ("" when unknown).
std::string trainedBy(const fs::path& dir) {
  try {
    return nlohmann::json::parse(readText(dir / "run.json")).value("experiment", "");
  } catch (const std::exception&) {
    return "";
  }
}

struct Context {
  const Experiment& e;
  const RunOptions& opt;
};

train::TrainJob trainJob(const Context& cx, const RunSpec& r, const fs::path& dir, const fs::path& cacheFile,
                         const preprocess::PreprocessConfig& pre, const fs::path& sourceCkpt, bool progress) {
  train::TrainJob job;
  job.cache = cacheFile;
  job.trainIds = r.trainIds;
  job.valIds = r.valIds;
  job.testIds = r.testIds;
  job.model = cx.e.model;
  job.model.inChannels = static_cast<int>(pre.channels.size());
  job.preprocess = pre;
  job.train = r.train;
  job.train.device = cx.opt.device;
  job.train.precision = job.train.resolvedPrecision();  // "auto" decided here, recorded in run.json
  if (!sourceCkpt.empty()) job.train.sourceCheckpoint = sourceCkpt;
  job.validation = cx.e.infer;
  job.evaluation = cx.e.eval;
  job.outDir = dir / "model";
  job.progress = progress;
  job.label = r.id;
  return job;
}

// curve.csv: the run's evaluations along its training (iteration, split, metric, value); the report
// gathers them into the experiment's budget.csv.
void writeCurveCsv(const fs::path& file, const std::vector<train::CurvePoint>& curve) {
  std::string out = "iteration,split,metric,value\n";
  for (const auto& p : curve)
    for (const auto& [k, v] : p.metrics) out += std::to_string(p.iteration) + "," + p.split + "," + k + "," + csvNumber(v) + "\n";
  writeTextAtomic(file, out);
}

struct Timings {
  double train = 0, predict = 0, evaluate = 0;
};

// run.json: what ran (every setting as a JSON object, null for none), its outcome and provenance.
nlohmann::json runRecord(const Context& cx, const RunSpec& r, const train::TrainJob& job, const train::TrainResult& tr,
                         const std::string& perStudyText, const Timings& t) {
  nlohmann::json j;
  j["id"] = r.id;
  j["kind"] = r.kind;
  j["arm"] = r.arm;
  j["train_size"] = r.trainSize;
  j["repeat"] = r.repeat;
  j["status"] = "done";
  j["experiment"] = cx.e.name;  // the experiment that trained it (others may reuse it)
  j["per_study_hash"] = report::perStudyHash(perStudyText);
  j["config"] = nlohmann::json::parse(r.configJson);  // the planned identity (hashed into the run id)
  j["train"] = config::toJson(job.train);
  j["model"] = config::toJson(job.model);
  j["preprocess"] = config::toJson(job.preprocess);
  j["infer"] = config::toJson(cx.e.infer);
  j["eval"] = config::toJson(cx.e.eval);
  j["seed"] = r.train.seed;
  j["train_result"] = {{"iterations", tr.iterations},
                       {"max_iterations", job.train.iterations},
                       {"best_iteration", tr.bestIteration},
                       {"stop_reason", tr.stopReason},
                       {"val_metric", job.train.valMetric},
                       {"best_val", tr.bestValF1 < 0 ? nlohmann::json(nullptr) : nlohmann::json(tr.bestValF1)},
                       {"evaluations", std::count_if(tr.curve.begin(), tr.curve.end(),
                                                     [](const train::CurvePoint& p) { return p.split == "validation"; })},
                       {"train_seconds", t.train},
                       {"min_component_voxels", tr.minComponentVoxels >= 0 ? nlohmann::json(tr.minComponentVoxels)
                                                                           : nlohmann::json(nullptr)},
                       {"resumed", tr.resumed},
                       {"load_report", tr.loadReport.empty() ? nlohmann::json(nullptr) : nlohmann::json(tr.loadReport)},
                       {"frozen_parameters", tr.frozen.size()}};
  j["source_checkpoint"] = job.train.init == "source" ? nlohmann::json(job.train.sourceCheckpoint.string()) : nlohmann::json(nullptr);
  j["timings_s"] = {{"train", t.train}, {"predict", t.predict}, {"evaluate", t.evaluate}};
  j["threads"] = train::torchThreads();  // per run: results are reproducible for a given thread count
  j["process"] = "one process per run";
  j["device"] = cx.opt.device;
  j["precision"] = job.train.precision;
  j["cpu_features"] = cpuFeatures().describe();  // what precision = "auto" decided on
  j["git_commit"] = gitCommit();
  j["mstransfer_version"] = version();
  j["libraries"] = libraryVersions();
  j["compiler"] = compilerVersion();
  char host[256] = {0};
  ::gethostname(host, sizeof host - 1);
  j["host"] = host;
  return j;
}

// Train, predict the test studies, evaluate, record.
void executeRun(const Context& cx, const RunSpec& r, const fs::path& dir, const fs::path& cacheFile,
                const io::Manifest& manifest, const preprocess::PreprocessConfig& pre, const fs::path& sourceCkpt,
                bool progress) {
  Timings t;
  auto t0 = std::chrono::steady_clock::now();
  const train::TrainJob job = trainJob(cx, r, dir, cacheFile, pre, sourceCkpt, progress);
  const auto tr = train::train(job);
  t.train = since(t0);
  t0 = std::chrono::steady_clock::now();
  infer::PredictOptions po;
  po.infer = cx.e.infer;
  if (tr.minComponentVoxels >= 0) po.infer.minComponentVoxels = tr.minComponentVoxels;  // chosen on validation
  po.device = cx.opt.device;
  po.progress = false;
  cache::CacheReader reader(cacheFile);
  infer::predictFromCache(job.outDir / "best.pt", reader, r.testIds, dir / "pred", po);
  t.predict = since(t0);
  t0 = std::chrono::steady_clock::now();
  const io::Manifest test = subset(manifest, r.testIds);
  const auto pairs = eval::findPredictions(test, dir / "pred");
  auto rows = eval::evaluateSet(pairs, cx.e.eval, false);
  eval::writeFpRegionsCsv(dir / "fp_regions.csv", pairs, cx.e.eval);  // synthetic cohorts (region maps)
  // Every lesion, and the threshold sweep of the probability maps (FROC, precision-recall).
  eval::writeLesionAnalysis(dir / "lesions.csv", dir / "froc.csv", pairs, cx.e.eval,
                            {po.infer.threshold, po.infer.minComponentVoxels, {}});
  if (!cx.e.infer.keepProbabilities)
    for (const auto& id : r.testIds) fs::remove(dir / "pred" / eval::probFileName(id));  // masks are kept
  eval::writePerStudyCsv(dir / "per_study.csv", rows, true);
  writeCurveCsv(dir / "curve.csv", tr.curve);
  const std::string perStudyText = readText(dir / "per_study.csv");
  t.evaluate = since(t0);
  writeTextAtomic(dir / "run.json", runRecord(cx, r, job, tr, perStudyText, t).dump(2));
}

}  // namespace

std::vector<std::string> describeRuns(const Experiment& e, const Plan& plan, const fs::path& expDir, int k, int n) {
  std::vector<std::string> lines;
  int toTrain = 0, sourcesToTrain = 0;
  std::map<std::string, int> count;
  for (const auto& s : plan.sources) {
    const std::string st = runStatus(expDir.parent_path() / "_shared" / "sources" / s.id);
    sourcesToTrain += st != "done";
    lines.push_back(s.id + "	source	" + s.arm + "	train=" + std::to_string(s.trainIds.size()) +
                    "	test=" + std::to_string(s.testIds.size()) + "	" + st + "	(shared by all shards and experiments)");
  }
  for (const auto& r : shardRuns(plan.runs, k, n)) {
    const fs::path dir = sharedRunDir(expDir, r.id);
    std::string st = runStatus(dir);
    const bool linked = fs::exists(fs::symlink_status(expDir / "runs" / r.id));
    if (st == "done" && !linked) st = "reused";
    if (st == "done" || st == "reused") {
      const std::string by = trainedBy(dir);
      if (!by.empty() && by != e.name) st = "reused (from " + by + ")";
    }
    ++count[st.substr(0, st.find(' '))];
    toTrain += st == "new" || st == "partial";
    const std::string src = !r.sourceRunId.empty() ? "source=" + r.sourceRunId
                            : r.sourceCheckpoint.empty() ? std::string("scratch")
                                                         : "source=" + r.sourceCheckpoint.string();
    lines.push_back(r.id + "	sweep	" + r.arm + "	n=" + std::to_string(r.trainSize) + "	repeat=" +
                    std::to_string(r.repeat) + "	" + st + "	" + src);
  }
  lines.push_back("summary: " + e.name + ": " + std::to_string(toTrain) + " of " +
                  std::to_string(toTrain + count["done"] + count["reused"]) + " runs will train (" +
                  std::to_string(count["new"]) + " new, " + std::to_string(count["partial"]) + " partial, " +
                  std::to_string(count["done"]) + " done, " + std::to_string(count["reused"]) +
                  " reused from other experiments), and " + std::to_string(sourcesToTrain) + " source model(s)");
  return lines;
}

namespace {

fs::path sharedDir(const RunOptions& opt) { return opt.results / "_shared"; }

// Caches and source models live under RESULTS/_shared/, keyed by what made them (data and
// preprocessing, channels included), so that experiments with the same data or the same
// source (e.g. FLAIR and new lesions) share them and no cache is rewritten under other settings.
fs::path cachePath(const RunOptions& opt, const std::string& prefix, const DataSpec& d,
                   const preprocess::PreprocessConfig& pre) {
  const std::string key = Hasher().str(d.describe()).str(config::toJson(pre, true).dump()).hex().substr(0, 10);
  return sharedDir(opt) / "cache" / (prefix + "-" + key + ".h5");
}

preprocess::PreprocessConfig sourcePreprocess(const Experiment& e, const SourceSpec& spec) {
  preprocess::PreprocessConfig pre = e.preprocess;
  pre.channels = spec.data.channels;
  return pre;
}

// The resolved definition without its file path (the runner and its children may spell it differently).
std::string planHash(const Experiment& e) {
  nlohmann::json j = nlohmann::json::parse(e.resolvedJson);
  j.erase("file");
  return Hasher().str(j.dump()).hex();
}

fs::path sourceCheckpointOf(const RunSpec& r, const RunOptions& opt) {
  if (!r.sourceRunId.empty()) return sharedDir(opt) / "sources" / r.sourceRunId / "model" / "best.pt";
  return r.sourceCheckpoint;
}

// Child mode: execute one planned run in this process.
RunSummary executeOne(const Experiment& e, const RunOptions& opt) {
  if (!opt.expectedPlanHash.empty() && opt.expectedPlanHash != planHash(e))
    throw InputError(e.file.string() + ": the experiment file changed while the experiment was running; run it again");
  Plan plan = planExperiment(e, opt.dataRoot, false, opt.threads);
  for (const auto& [what, m] : plan.manifests)
    if (m.file.empty())
      throw InputError("--run-id: the data of " + e.file.string() + " (" + what + ") are not generated under '" +
                       opt.dataRoot.string() + "' yet; run the experiment without --run-id first");
  const fs::path expDir = opt.results / e.name;
  const Context cx{e, opt};
  const fs::path targetCache = cachePath(opt, "target", e.data, e.preprocess);
  cache::BuildOptions bo;
  bo.threads = opt.threads;
  bo.progress = false;
  RunSummary sum;
  sum.dir = expDir;
  sum.total = 1;
  for (const auto& s : plan.sources) {
    if (s.id != opt.onlyRun) continue;
    const SourceSpec& spec = e.sources.at(s.arm);
    const auto pre = sourcePreprocess(e, spec);
    const fs::path cacheFile = cachePath(opt, "source", spec.data, pre);
    cache::buildCache(plan.manifests.at("source:" + s.arm), pre, cacheFile, bo);  // a hit when the runner built it
    executeRun(cx, s, sharedDir(opt) / "sources" / s.id, cacheFile, plan.manifests.at("source:" + s.arm), pre, {}, true);
    sum.completed = 1;
    return sum;
  }
  for (const auto& r : plan.runs) {
    if (r.id != opt.onlyRun) continue;
    cache::buildCache(plan.manifests.at("target"), e.preprocess, targetCache, bo);
    const fs::path ckpt = sourceCheckpointOf(r, opt);
    if (!ckpt.empty() && !fs::exists(ckpt))
      throw InputError("run " + r.id + ": source model '" + ckpt.string() + "' does not exist (train the source first)");
    executeRun(cx, r, sharedRunDir(expDir, r.id), targetCache, plan.manifests.at("target"), e.preprocess, ckpt,
               opt.progress);
    sum.completed = 1;
    return sum;
  }
  throw InputError("--run-id: '" + opt.onlyRun + "' is not a run of " + e.file.string() + " (see --dry-run)");
}

// The command line of a child that executes one run.
std::vector<std::string> childCommand(const Experiment& e, const RunOptions& opt, const std::string& id, int perRun,
                                      bool progress) {
  std::vector<std::string> a = {opt.binary.empty() ? selfExecutable().string() : opt.binary.string(),
                                "run",
                                fs::absolute(e.file).string(),
                                "--results",
                                fs::absolute(opt.results).string(),
                                "--data-root",
                                fs::absolute(opt.dataRoot).string(),
                                "--threads",
                                std::to_string(perRun),
                                "--device",
                                opt.device,
                                "--run-id",
                                id,
                                "--plan-hash",
                                planHash(e)};
  if (!progress) a.push_back("--no-progress");
  return a;
}

void writePlanJson(const fs::path& expDir, const Plan& plan) {
  nlohmann::json runs = nlohmann::json::array(), sources = nlohmann::json::array();
  std::set<std::string> used;
  for (const auto& r : plan.runs) {
    runs.push_back(r.id);
    if (!r.sourceRunId.empty()) used.insert(r.sourceRunId);
  }
  for (const auto& s : plan.sources)
    if (used.count(s.id)) sources.push_back(s.id);
  writeTextAtomic(expDir / "plan.json",
                  nlohmann::json({{"runs", runs}, {"sources", sources},
                                  {"note", "the runs the report reads; other folders under runs/ are stale"}})
                      .dump(2));
}

}  // namespace

namespace {

// One experiment in the queue: its plan, the runs it executes (its shard), its folder and its tally.
struct Stage {
  const Experiment* e = nullptr;
  Plan plan;
  std::vector<RunSpec> runs;
  fs::path expDir;
  RunSummary sum;
};

// One source model, trained once under its lock (other processes wait and reuse it), in a child
// process of the first experiment that needs it; its run.json and per_study.csv are copied into
// every experiment that uses it. Returns false when it failed.
bool trainSource(const Stage& x, const RunSpec& s, const std::vector<Stage*>& users, const RunOptions& o, int perRun) {
  const Experiment& e = *x.e;
  cache::BuildOptions bo;
  bo.threads = o.threads;
  bo.progress = o.jobs == 1 && o.progress;
  const SourceSpec& spec = e.sources.at(s.arm);
  const auto pre = sourcePreprocess(e, spec);
  const fs::path dir = sharedDir(o) / "sources" / s.id;
  {
    FileLock lock(sharedDir(o) / "sources" / (s.id + ".lock"));  // one process trains it, the others wait and reuse
    if (!report::runComplete(dir)) {
      log::info(e.name, ": source model ", s.id, " (", s.trainIds.size(), " training studies, ", perRun, " thread(s))");
      cache::buildCache(x.plan.manifests.at("source:" + s.arm), pre, cachePath(o, "source", spec.data, pre), bo);
      const fs::path logFile = o.jobs > 1 ? dir / "run.log" : fs::path();
      const auto rc = runChild(childCommand(e, o, s.id, perRun, o.jobs == 1 && o.progress), logFile);
      if (!rc.ok() || !report::runComplete(dir)) {
        log::error(e.name, ": source model ", s.id, " failed (exit ", rc.exitCode, "); the runs that need it are skipped",
                   logFile.empty() ? std::string() : "; last lines of " + logFile.string() + ":\n" + tailOfFile(logFile, 8));
        return false;
      }
      log::info(e.name, ": source model ", s.id, " done");
    } else {
      log::info(e.name, ": source model ", s.id, " already trained");
    }
  }
  for (const Stage* u : users)
    for (const char* f : {"run.json", "per_study.csv"}) writeTextAtomic(u->expDir / "sources" / s.id / f, readText(dir / f));
  return true;
}

// Patches a finished run trained on and its training seconds (from its run.json; zeros when unreadable).
std::pair<double, double> trainedPatches(const fs::path& runDir) {
  try {
    const auto j = nlohmann::json::parse(readText(runDir / "run.json"));
    const double patches = j.at("train_result").at("iterations").get<double>() * j.at("train").at("batch_size").get<double>();
    return {patches, j.at("timings_s").at("train").get<double>()};
  } catch (const std::exception&) {
    return {0.0, 0.0};
  }
}

// Which source models have finished (and whether they succeeded); runs that need one wait for it.
class SourceBoard {
 public:
  void finish(const std::string& id, bool ok) {
    {
      std::lock_guard<std::mutex> l(mu_);
      state_[id] = ok ? 1 : 2;
    }
    cv_.notify_all();
  }
  bool waitOk(const std::string& id) {  // true when the source succeeded
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return state_.count(id) > 0; });
    return state_[id] == 1;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, int> state_;
};

enum class Outcome { kTrained, kReused, kFailed };

// One sweep run in the shared store: experiments that need the same run train it once (the others
// wait on its lock, then reuse it), in a child process; linked into this experiment when complete.
Outcome executeSweepRun(const Experiment& e, const RunSpec& r, const RunOptions& o, int perRun, bool progress,
                        const fs::path& expDir, const fs::path& logFile) {
  const fs::path dir = sharedRunDir(expDir, r.id);
  ChildResult rc;
  bool reused = false;
  try {
    FileLock lock(dir.parent_path() / (r.id + ".lock"));
    reused = report::runComplete(dir);
    if (!reused) rc = runChild(childCommand(e, o, r.id, perRun, progress), logFile);
    if (report::runComplete(dir)) linkRun(expDir, r.id);
  } catch (const std::exception& ex) {
    log::error(r.id, ": cannot run: ", ex.what());
    rc.exitCode = 1;
  }
  if (!rc.ok() || !report::runComplete(dir)) {
    log::error(r.id, ": failed (exit ", rc.exitCode, ")",
               logFile.empty() ? std::string() : "; last lines of " + logFile.string() + ":\n" + tailOfFile(logFile, 8));
    return Outcome::kFailed;
  }
  return reused ? Outcome::kReused : Outcome::kTrained;
}

// The queue's work: source models first, then runs that need none (de novo), then those that do;
// a run planned by several experiments appears once, with the others linked to it when done.
struct Queue {
  struct Item {
    Stage* x = nullptr;
    const RunSpec* r = nullptr;
    std::vector<Stage*> users;  // sources: every experiment that uses it; runs: the others that plan it
  };
  std::vector<Item> sources, runs;
  size_t nRuns() const { return runs.size(); }
};

Queue buildQueue(std::vector<Stage>& xs, bool sourcesOnly) {
  Queue q;
  std::map<std::string, size_t> sourceAt, runAt;
  std::vector<Queue::Item> later;
  std::map<std::string, bool> inLater;
  for (auto& x : xs) {
    std::set<std::string> needed;
    for (const auto& r : x.runs)
      if (!r.sourceRunId.empty()) needed.insert(r.sourceRunId);
    for (const auto& s : x.plan.sources) {
      if (!needed.count(s.id) && !sourcesOnly) continue;
      if (!sourceAt.count(s.id)) {
        sourceAt[s.id] = q.sources.size();
        q.sources.push_back({&x, &s, {}});
      }
      q.sources[sourceAt[s.id]].users.push_back(&x);
    }
    for (const auto& r : x.runs) {
      const bool linked = fs::exists(fs::symlink_status(x.expDir / "runs" / r.id));
      if (report::runComplete(sharedRunDir(x.expDir, r.id))) {
        linkRun(x.expDir, r.id);  // a run another experiment finished is reused, not trained again
        ++x.sum.skipped;
        x.sum.reused += !linked;
        continue;
      }
      if (runAt.count(r.id)) {  // planned by an earlier experiment of this queue too: linked when done
        (inLater[r.id] ? later : q.runs)[runAt[r.id]].users.push_back(&x);
        continue;
      }
      auto& list = r.sourceRunId.empty() ? q.runs : later;
      runAt[r.id] = list.size();
      inLater[r.id] = !r.sourceRunId.empty();
      list.push_back({&x, &r, {}});
    }
  }
  q.runs.insert(q.runs.end(), later.begin(), later.end());
  return q;
}

// Counts a finished run (trained, reused or failed) for its experiment and the others that plan it.
void tally(const Queue::Item& it, Outcome out, bool sourceOk) {
  if (out == Outcome::kFailed) {
    it.x->sum.failed.push_back(it.r->id + (sourceOk ? "" : " (its source model failed)"));
    for (Stage* u : it.users) u->sum.failed.push_back(it.r->id + " (planned by " + it.x->e->name + " too)");
    return;
  }
  (out == Outcome::kReused ? it.x->sum.skipped : it.x->sum.completed) += 1;
  it.x->sum.reused += out == Outcome::kReused;
  for (Stage* u : it.users) {
    linkRun(u->expDir, it.r->id);
    ++u->sum.skipped;
    ++u->sum.reused;
  }
}

// Source models and sweep runs of every experiment in one pool of `jobs` workers, each run in its own
// process with `perRun` threads, so no core idles while another experiment has work. While a source
// model trains, the other workers train de-novo runs. Returns false when stopped early (tests'
// MST_STOP_AFTER_RUNS).
bool runAll(std::vector<Stage>& xs, const RunOptions& o, int perRun) {
  Queue q = buildQueue(xs, o.sourcesOnly);
  int total = 0, done = 0;
  for (const auto& x : xs) {
    total += x.sum.total;
    done += x.sum.skipped;
  }
  log::info(xs.size() == 1 ? xs[0].e->name : std::to_string(xs.size()) + " experiments", ": ", total, " runs (", done,
            " already done or reused, ", q.nRuns(), " to train) and ", q.sources.size(), " source model(s), ", o.jobs,
            " in parallel with ", perRun, " thread(s) each");
  SourceBoard board;
  std::atomic<int> started{0};
  std::atomic<bool> stopped{false};
  std::mutex mu;
  double totalPatches = 0;
  int trained = 0;
  double runSeconds = 0;  // wall seconds of the trained runs: the ETA is their mean x runs left / jobs
  const auto start = std::chrono::steady_clock::now();
  parallelFor(q.sources.size() + q.runs.size(), o.jobs, [&](size_t i) {
    if (i < q.sources.size()) {
      const auto& it = q.sources[i];
      bool ok = false;
      try {
        ok = trainSource(*it.x, *it.r, it.users, o, perRun);
      } catch (...) {
        board.finish(it.r->id, false);  // the runs waiting for it must not wait forever
        throw;
      }
      if (!ok) {
        std::lock_guard<std::mutex> l(mu);
        for (Stage* u : it.users) u->sum.failed.push_back(it.r->id);
      }
      board.finish(it.r->id, ok);
      return;
    }
    if (o.stopAfterRuns > 0 && started++ >= o.stopAfterRuns) {  // tests: as if killed here
      stopped = true;
      return;
    }
    const auto& it = q.runs[i - q.sources.size()];
    const RunSpec& r = *it.r;
    const bool sourceOk = r.sourceRunId.empty() || board.waitOk(r.sourceRunId);
    const auto runStart = std::chrono::steady_clock::now();
    Outcome out = Outcome::kFailed;
    if (sourceOk) {
      const fs::path logFile = o.jobs > 1 ? sharedRunDir(it.x->expDir, r.id) / "run.log" : fs::path();
      out = executeSweepRun(*it.x->e, r, o, perRun, o.jobs == 1 && o.progress, it.x->expDir, logFile);
    }
    std::lock_guard<std::mutex> l(mu);
    tally(it, out, sourceOk);
    if (out != Outcome::kTrained) return;
    const int c = ++trained;
    const double el = since(start);
    runSeconds += since(runStart);
    const auto [patches, secs] = trainedPatches(sharedRunDir(it.x->expDir, r.id));
    totalPatches += patches;
    log::info("[", c + done, "/", total, "] ", r.id, xs.size() > 1 ? " (" + it.x->e->name + ")" : std::string(), " done (",
              static_cast<int>(patches / std::max(secs, 1e-9)), " patches/s; ", static_cast<int>(el), " s elapsed, about ",
              static_cast<int>(runSeconds / c * (static_cast<double>(q.nRuns()) - c) / o.jobs), " s left)");
  });
  if (trained > 0)
    log::info(trained, " runs trained on ", static_cast<int64_t>(totalPatches), " patches in ", static_cast<int>(since(start)),
              " s: ", static_cast<int>(totalPatches / std::max(since(start), 1e-9)), " patches/s in all, ", o.jobs,
              " job(s) with ", perRun, " thread(s) each");
  return !stopped;
}

}  // namespace

namespace {

void checkOptions(const RunOptions& opt) {
  if (opt.jobs < 1) throw InputError("--jobs: expected >= 1, got " + std::to_string(opt.jobs));
  if (opt.threads < 1) throw InputError("--threads: expected >= 1, got " + std::to_string(opt.threads));
  if (opt.device != "cpu") infer::checkDevice(opt.device);
}

// Plans one experiment of the queue: data, plan, experiment.json, plan.json and the target cache.
Stage prepareStage(const Experiment& e, const RunOptions& opt) {
  if (e.name == "_shared") throw InputError(e.file.string() + ": name '_shared' is reserved");
  Stage x;
  x.e = &e;
  x.expDir = opt.results / e.name;
  x.sum.dir = x.expDir;
  x.plan = planExperiment(e, opt.dataRoot, !opt.dryRun, opt.threads);
  if (opt.dryRun) return x;
  fs::create_directories(x.expDir);
  writeTextAtomic(x.expDir / "experiment.json", e.resolvedJson);
  writePlanJson(x.expDir, x.plan);
  if (!opt.sourcesOnly) x.runs = shardRuns(x.plan.runs, opt.shardK, opt.shardN);
  x.sum.total = static_cast<int>(x.runs.size());
  if (opt.sourcesOnly) return x;
  const fs::path targetCache = cachePath(opt, "target", e.data, e.preprocess);
  cache::BuildOptions bo;
  bo.threads = opt.threads;
  log::info(e.name, ": preprocessing the target data into ", targetCache.string());
  cache::buildCache(x.plan.manifests.at("target"), e.preprocess, targetCache, bo);
  return x;
}

// After the queue: the report of each experiment whose runs all completed; failures listed at the end.
void finishStages(std::vector<Stage>& xs, const RunOptions& opt) {
  std::string failed;
  for (auto& x : xs) {
    if (!x.sum.failed.empty()) {
      std::string list;
      for (const auto& f : x.sum.failed) list += "\n  " + f;
      failed += (failed.empty() ? "" : "\n") + x.e->name + ": " + std::to_string(x.sum.failed.size()) +
                " run(s) failed; the others are complete and kept:" + list;
      continue;
    }
    if (opt.sourcesOnly) {
      log::info(x.e->name, ": source models in ", (sharedDir(opt) / "sources").string());
    } else if (opt.shardN > 1) {
      log::info(x.e->name, ": shard ", opt.shardK, "/", opt.shardN, " done; when every shard has finished: mstransfer report ",
                x.expDir.string());
    } else if (opt.report) {
      report::buildReport(x.expDir);
    }
  }
  if (!failed.empty()) throw Error(failed + "\nRun the same command again to retry the failed ones.");
}

}  // namespace

std::vector<RunSummary> runExperiments(const std::vector<Experiment>& es, const RunOptions& opt) {
  checkOptions(opt);
  std::set<std::string> names;
  for (const auto& e : es)
    if (!names.insert(e.name).second)
      throw InputError(e.file.string() + ": experiment name '" + e.name + "' is given twice; each experiment needs its own");
  RunOptions o = opt;  // the children run this very binary, resolved once (it may be rebuilt meanwhile)
  if (o.binary.empty()) o.binary = selfExecutable();
  // Each run gets its own process and its share of the cores; the result of a run depends
  // on its configuration, its seed and this per-run thread count only.
  const int perRun = std::max(1, opt.threads / opt.jobs);
  train::setThreads(opt.threads);  // data generation and cache builds in this process
  std::vector<Stage> xs;
  xs.reserve(es.size());
  for (const auto& e : es) xs.push_back(prepareStage(e, opt));
  std::vector<RunSummary> out;
  if (opt.dryRun) {
    for (const auto& x : xs)
      for (const auto& l : describeRuns(*x.e, x.plan, x.expDir, opt.shardK, opt.shardN)) std::cout << l << "\n";
    for (const auto& x : xs) out.push_back(x.sum);
    return out;
  }
  const bool finished = runAll(xs, o, perRun);
  for (const auto& x : xs) out.push_back(x.sum);
  if (!finished) return out;
  finishStages(xs, opt);
  for (size_t i = 0; i < xs.size(); ++i) out[i] = xs[i].sum;
  return out;
}

RunSummary runExperiment(const Experiment& e, const RunOptions& opt) {
  if (!opt.onlyRun.empty()) {
    checkOptions(opt);
    train::setThreads(opt.threads);
    return executeOne(e, opt);
  }
  return runExperiments({e}, opt).front();
}

}  // namespace mst::experiment
