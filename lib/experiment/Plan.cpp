// The plan of an experiment: the fixed test set (by subject), source
// pretraining runs, and the sweep (training sizes x repeats x arms) with
// nested subsets; every run named by what makes it.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "lib/config/Json.h"
#include "lib/core/Error.h"
#include "lib/core/Fs.h"
#include "lib/core/Hash.h"
#include "lib/core/Random.h"
#include "lib/experiment/ExperimentParts.h"

namespace mst::experiment {

namespace {

std::vector<std::string> shuffled(std::vector<std::string> v, uint64_t seed) {
  Rng rng(seed);
  std::shuffle(v.begin(), v.end(), rng.engine());
  return v;
}

std::string shortHash(const std::string& s) { return Hasher().str(s).hex().substr(0, 8); }

nlohmann::json orNull(const std::string& s) { return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s); }

struct Split {
  std::map<std::string, std::vector<std::string>> subjects;  // target subject -> study ids
  std::set<std::string> testSet;                              // test subjects
  std::vector<std::string> pool;                              // training pool: subjects not in the test set
};

// The fixed test set, by subject, and the training pool.
Split splitTarget(const Experiment& e, const io::Manifest& target, Plan& plan, ProblemList& problems) {
  const std::string f = e.file.string();
  Split sp;
  sp.subjects = bySubject(target);
  std::vector<std::string> subjectList, testSubjects;
  for (const auto& [s, ids] : sp.subjects) subjectList.push_back(s);
  if (!e.testSubjects.empty()) {
    for (const auto& s : e.testSubjects) {
      if (!sp.subjects.count(s)) problems.add(f + ": [test] subjects: '" + s + "' is not in the target data");
      testSubjects.push_back(s);
    }
  } else {
    if (e.testCount >= static_cast<int>(subjectList.size()))
      problems.add(f + ": [test] count: " + std::to_string(e.testCount) + " test subjects leave none of the " +
                   std::to_string(subjectList.size()) + " for training");
    testSubjects = shuffled(subjectList, mix64(e.testSeed ^ 0x7e57ULL));
    testSubjects.resize(std::min<size_t>(testSubjects.size(), static_cast<size_t>(std::max(0, e.testCount))));
    std::sort(testSubjects.begin(), testSubjects.end());
  }
  sp.testSet.insert(testSubjects.begin(), testSubjects.end());
  for (const auto& s : testSubjects)
    if (sp.subjects.count(s))
      for (const auto& id : sp.subjects[s]) plan.testIds.push_back(id);
  std::vector<std::string> rest;
  for (const auto& s : subjectList)
    if (!sp.testSet.count(s)) rest.push_back(s);
  std::set<std::string> valSet;
  if (!e.valSubjects.empty()) {
    for (const auto& s : e.valSubjects) {
      if (!sp.subjects.count(s)) problems.add(f + ": [validation] subjects: '" + s + "' is not in the target data");
      else if (sp.testSet.count(s)) problems.add(f + ": [validation] subjects: '" + s + "' is also a test subject");
      valSet.insert(s);
    }
  } else if (e.valCount > 0) {
    auto drawn = shuffled(rest, mix64(e.valSeed ^ 0x5a11dULL));
    if (e.valCount >= static_cast<int>(drawn.size()))
      problems.add(f + ": [validation] count: " + std::to_string(e.valCount) + " validation subjects leave none of the " +
                   std::to_string(drawn.size()) + " (after the test set) for training");
    drawn.resize(std::min<size_t>(drawn.size(), static_cast<size_t>(e.valCount)));
    valSet.insert(drawn.begin(), drawn.end());
  }
  for (const auto& s : valSet)  // sorted
    if (sp.subjects.count(s))
      for (const auto& id : sp.subjects[s]) plan.valIds.push_back(id);
  for (const auto& s : rest)
    if (!valSet.count(s)) sp.pool.push_back(s);
  const int maxSize = *std::max_element(e.trainSizes.begin(), e.trainSizes.end());
  if (maxSize > static_cast<int>(sp.pool.size()))
    problems.add(f + ": [sweep] train_sizes: " + std::to_string(maxSize) + " training subjects requested, the pool has " +
                 std::to_string(sp.pool.size()) + " (after the " + std::to_string(sp.testSet.size()) + " test and " +
                 std::to_string(valSet.size()) + " validation subjects)");
  return sp;
}

// One source's pretraining run: its own train/validation/test split by subject.
RunSpec sourceRun(const Experiment& e, const std::string& name, const SourceSpec& s, const io::Manifest& sm) {
  auto sb = bySubject(sm);
  std::vector<std::string> ss;
  for (const auto& [sub, ids] : sb) ss.push_back(sub);
  ss = shuffled(ss, mix64(s.seed ^ 0x50c3ULL));
  RunSpec r;
  r.kind = "source";
  r.arm = name;
  const size_t nTest = std::min(ss.size(), static_cast<size_t>(std::max(0, s.testStudies)));
  const size_t nTrain = s.trainStudies > 0 ? std::min(ss.size() - nTest, static_cast<size_t>(s.trainStudies)) : ss.size() - nTest;
  std::vector<std::string> trainSubj(ss.begin() + static_cast<long>(nTest), ss.begin() + static_cast<long>(nTest + nTrain));
  const size_t nVal = trainSubj.size() < 2 ? 0
                      : s.valStudies > 0 ? std::min(trainSubj.size() - 1, static_cast<size_t>(s.valStudies))
                                         : static_cast<size_t>(std::lround(s.valFraction * trainSubj.size()));
  for (size_t i = 0; i < nTest; ++i)
    for (const auto& id : sb[ss[i]]) r.testIds.push_back(id);
  for (size_t i = 0; i < trainSubj.size(); ++i)
    for (const auto& id : sb[trainSubj[i]]) (i < nVal ? r.valIds : r.trainIds).push_back(id);
  r.train = s.train;
  r.train.init = "scratch";
  r.train.seed = s.seed;
  model::UNetOptions sourceModel = e.model;
  sourceModel.inChannels = static_cast<int>(s.data.channels.size());
  preprocess::PreprocessConfig sourcePre = e.preprocess;
  sourcePre.channels = s.data.channels;
  nlohmann::json j = {{"kind", "source"}, {"source", name}, {"data", s.data.describe()}, {"channels", s.data.channels},
                      {"train_ids", r.trainIds}, {"val_ids", r.valIds}, {"test_ids", r.testIds},
                      {"train", config::toJson(r.train, true)}, {"model", config::toJson(sourceModel)},
                      {"preprocess", config::toJson(sourcePre, true)},
                      {"infer", config::toJson(e.infer)},
                      {"eval", config::toJson(e.eval)}};
  r.configJson = j.dump(2);
  // Named by what makes it (not by the experiment), so experiments can share it.
  r.id = "source-" + s.data.cohort + (s.data.cohort.empty() ? s.data.manifest.stem().string() : "") + "-" +
         shortHash(r.configJson);
  return r;
}

struct SourceRefs {
  std::map<std::string, std::string> runOf;                 // source name -> pretraining run id
  std::map<std::string, std::filesystem::path> checkpointOf;  // source name -> given checkpoint
  std::map<std::string, std::string> hashOf;                  // source name -> its weights' fileHash
};

// A given checkpoint's weights hash, checked against the experiment file's checkpoint_hash and the
// sidecar's weights_hash (written by every training); a mismatch is a problem naming both.
std::string checkedCheckpointHash(const std::string& f, const std::string& name, const SourceSpec& s,
                                  ProblemList& problems) {
  const std::string actual = fileHash(s.checkpoint.string());
  const std::string where = f + ": [source" + (name == "default" ? std::string() : " " + name) + "] ";
  if (!s.checkpointHash.empty() && s.checkpointHash != actual)
    problems.add(where + "checkpoint_hash: expected " + s.checkpointHash + " (the experiment file), got " + actual +
                 " (the bytes of '" + s.checkpoint.string() + "'); rebuild it or update the hash");
  const std::filesystem::path side = s.checkpoint.string() + ".json";  // the sidecar (lib/model/Checkpoint.h)
  if (std::filesystem::exists(side)) {
    const auto j = nlohmann::json::parse(readText(side), nullptr, false);
    if (j.is_object() && j.contains("weights_hash") && j["weights_hash"] != actual)
      problems.add(where + "checkpoint: '" + s.checkpoint.string() + "' has weights " + actual + ", its sidecar '" +
                   side.string() + "' records " + j["weights_hash"].get<std::string>() + " (the two files do not belong together)");
  }
  return actual;
}

SourceRefs planSources(const Experiment& e, const std::filesystem::path& dataRoot, bool generate, int threads,
                       const std::set<std::string>& testSet, Plan& plan,
                       ProblemList& problems) {
  const std::string f = e.file.string();
  SourceRefs refs;
  for (const auto& [name, s] : e.sources) {
    if (!s.pretrain) {
      if (!std::filesystem::exists(s.checkpoint))
        problems.add(f + ": [source " + name + "] checkpoint: '" + s.checkpoint.string() + "' not found");
      else refs.hashOf[name] = checkedCheckpointHash(f, name, s, problems);
      refs.checkpointOf[name] = s.checkpoint;
      continue;
    }
    io::Manifest sm;
    try {
      sm = resolveManifest(s.data, dataRoot, generate, threads, "source pretraining");
    } catch (const InputError& ex) {
      for (const auto& p : ex.problems()) problems.add(p);
      continue;
    }
    if (sm.rows.empty()) sm = syntheticRows(s.data);  // dry run before the data exist
    plan.manifests["source:" + name] = sm;
    std::set<std::string> subjects;
    for (const auto& r : sm.rows) subjects.insert(r.subject);
    for (const auto& sub : subjects)
      if (testSet.count(sub))
        problems.add(f + ": [source " + name + "]: subject '" + sub + "' is also a target test subject");
    if (s.testStudies + 1 > static_cast<int>(subjects.size()))
      problems.add(f + ": [source " + name + "] test_studies: leaves no training studies");
    RunSpec r = sourceRun(e, name, s, sm);
    refs.runOf[name] = r.id;
    plan.sources.push_back(r);
  }
  return refs;
}

// The sweep: per repeat one shuffled order of the pool, whose prefixes are the nested training sets.
void planSweep(const Experiment& e, Split& sp, const SourceRefs& refs, Plan& plan) {
  for (int rep = 0; rep < e.repeats; ++rep) {
    const auto order = shuffled(sp.pool, mix64(e.sweepSeed * 1000003ULL + static_cast<uint64_t>(rep)));
    for (int n : e.trainSizes) {
      std::vector<std::string> subset(order.begin(), order.begin() + std::min<long>(n, static_cast<long>(order.size())));
      const size_t nVal = e.valFraction > 0 && n > 1 ? std::max<size_t>(1, static_cast<size_t>(std::lround(e.valFraction * n))) : 0;
      for (const auto& arm : e.arms) {
        RunSpec r;
        r.kind = "sweep";
        r.arm = arm.name;
        r.trainSize = n;
        r.repeat = rep + 1;
        for (size_t i = 0; i < subset.size(); ++i)
          for (const auto& id : sp.subjects[subset[i]]) (i < nVal ? r.valIds : r.trainIds).push_back(id);
        if (!plan.valIds.empty()) r.valIds = plan.valIds;  // the fixed validation set
        r.testIds = plan.testIds;
        r.train = arm.train;
        r.train.seed = mix64(e.sweepSeed ^ (static_cast<uint64_t>(rep + 1) << 20) ^ static_cast<uint64_t>(n));
        if (arm.init == "source") {
          if (refs.runOf.count(arm.source)) r.sourceRunId = refs.runOf.at(arm.source);
          else if (refs.checkpointOf.count(arm.source)) r.sourceCheckpoint = refs.checkpointOf.at(arm.source);
        }
        nlohmann::json j = {{"kind", "sweep"}, {"arm", arm.name}, {"init", arm.init}, {"train_size", n},
                            {"repeat", rep + 1}, {"data", e.data.describe()}, {"channels", e.data.channels},
                            {"train_ids", r.trainIds}, {"val_ids", r.valIds}, {"test_ids", r.testIds},
                            {"train", config::toJson(r.train, true)}, {"model", config::toJson(e.model)},
                            {"preprocess", config::toJson(e.preprocess, true)}, {"source_run", orNull(r.sourceRunId)},
                            {"source_checkpoint", orNull(r.sourceCheckpoint.filename().string())},
                            {"infer", config::toJson(e.infer)},
                            {"eval", config::toJson(e.eval)}};
        if (!r.sourceCheckpoint.empty()) j["source_checkpoint_hash"] = refs.hashOf.count(arm.source) ? refs.hashOf.at(arm.source) : std::string();
        r.configJson = j.dump(2);
        char head[64];
        std::snprintf(head, sizeof head, "%s-n%d-r%d-", arm.name.c_str(), n, rep + 1);
        r.id = head + shortHash(r.configJson);
        plan.runs.push_back(r);
      }
    }
  }
}

}  // namespace

Plan planExperiment(const Experiment& e, const std::filesystem::path& dataRoot, bool generate, int threads) {
  const std::string f = e.file.string();
  Plan plan;
  ProblemList problems;
  io::Manifest target = resolveManifest(e.data, dataRoot, generate, threads, "the target data");
  if (target.rows.empty()) target = syntheticRows(e.data);  // dry run before the data exist
  plan.manifests["target"] = target;
  Split sp = splitTarget(e, target, plan, problems);
  const SourceRefs refs = planSources(e, dataRoot, generate, threads, sp.testSet, plan, problems);
  planSweep(e, sp, refs, plan);
  for (const auto* list : {&plan.sources, &plan.runs})
    for (const auto& r : *list)
      if (r.train.earlyStop && r.valIds.empty()) {
        problems.add(f + ": " + (r.kind == "source" ? "[source " + r.arm + "]" : "arm '" + r.arm + "'") +
                     ": early_stop = true needs validation studies (" +
                     (r.kind == "source" ? "val_studies in [source.pretrain]" : "a [validation] section") + ")");
        break;
      }
  problems.throwIfAny();
  std::sort(plan.runs.begin(), plan.runs.end(), [](const RunSpec& a, const RunSpec& b) { return a.id < b.id; });
  return plan;
}

std::vector<RunSpec> shardRuns(const std::vector<RunSpec>& runs, int k, int n) {
  if (n < 1 || k < 1 || k > n)
    throw InputError("--shard: expected K/N with 1 <= K <= N, got " + std::to_string(k) + "/" + std::to_string(n));
  std::vector<RunSpec> out;
  for (size_t i = 0; i < runs.size(); ++i)
    if (static_cast<int>(i % static_cast<size_t>(n)) + 1 == k) out.push_back(runs[i]);
  return out;
}

}  // namespace mst::experiment
