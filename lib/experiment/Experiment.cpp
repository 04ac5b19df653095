#include "lib/experiment/Experiment.h"

#include <toml++/toml.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "lib/config/Json.h"
#include "lib/core/Error.h"
#include "lib/core/Fs.h"
#include "lib/core/Hash.h"
#include "lib/core/Log.h"
#include "lib/core/Random.h"
#include "lib/experiment/Sections.h"
#include "lib/experiment/TomlFile.h"
#include "lib/synth/Synth.h"

namespace mst::experiment {

std::string DataSpec::describe() const {
  if (!cohort.empty())
    return "synthetic:" + cohort + "/" + preset + "/n" + std::to_string(synthCount) + "/seed" + std::to_string(synthSeed) +
           "/" + longitudinalMode +
           (spacingMm > 0 ? "/" + std::to_string(shape[0]) + "x" + std::to_string(shape[1]) + "x" +
                                std::to_string(shape[2]) + "@" + std::to_string(spacingMm)
                          : std::string());
  return "manifest:" + manifest.string();
}

namespace {

const toml::table* tableAt(const toml::table* t, const char* key) {
  if (!t) return nullptr;
  auto* n = t->get(key);
  return n ? n->as_table() : nullptr;
}

// Seeds are non-negative integers (a negative one would silently wrap around).
uint64_t seedValue(Section& s, const char* key, int64_t def) {
  const int64_t v = s.integer(key, def);
  if (v < 0) s.problem(key, "expected a non-negative integer seed, got " + std::to_string(v));
  return static_cast<uint64_t>(std::max<int64_t>(0, v));
}

DataSpec readData(Section& s, const std::filesystem::path& base, bool required) {
  DataSpec d;
  d.cohort = s.string("cohort", "");
  const std::string m = s.string("manifest", "");
  if (!m.empty()) d.manifest = resolveAgainst(base, m);
  d.channels = s.strings("channels", {});
  d.preset = s.choice("preset", d.preset, {"demo", "paper"});
  d.synthCount = static_cast<int>(s.integer("count", 0));
  d.synthSeed = seedValue(s, "seed", 1);
  d.longitudinalMode = s.choice("longitudinal_mode", d.longitudinalMode, {"transform", "register"});
  d.shape = s.size3("shape", d.shape);
  d.spacingMm = s.number("spacing", 0.0);
  if ((d.spacingMm > 0) != (d.shape[0] > 0)) s.problem("shape", "shape and spacing go together");
  if (!s.present()) {
    if (required) s.problem("cohort", "missing [data] section (give cohort = \"...\" or manifest = \"...\")");
    return d;
  }
  if (d.cohort.empty() == m.empty())
    s.problem("cohort", "give exactly one of cohort (built-in synthetic) or manifest");
  if (!d.cohort.empty()) {
    try {
      const auto& info = synth::cohort(d.cohort);
      if (d.channels.empty()) d.channels = info.channels;
      for (const auto& c : d.channels)
        if (std::find(info.channels.begin(), info.channels.end(), c) == info.channels.end())
          s.problem("channels", "cohort '" + d.cohort + "' has no channel '" + c + "'");
    } catch (const InputError&) {
      s.problem("cohort", "unknown cohort '" + d.cohort + "'");
    }
  }
  if (!m.empty() && d.channels.empty()) s.problem("channels", "required with a manifest (e.g. channels = [\"flair\"])");
  if (d.synthCount < 0) s.problem("count", "expected >= 1 (or 0 for the preset's count)");
  if (d.spacingMm < 0) s.problem("spacing", "expected a voxel size in mm > 0");
  return d;
}

SourceSpec readSource(Section& s, const std::string& name, const std::filesystem::path& base,
                      const train::TrainConfig& defaults) {
  SourceSpec src;
  src.name = name;
  const std::string ck = s.string("checkpoint", "");
  if (!ck.empty()) src.checkpoint = resolveAgainst(base, ck);
  Section p = s.sub("pretrain");
  src.pretrain = p.present();
  if (src.pretrain) {
    src.data = readData(p, base, true);
    src.trainStudies = static_cast<int>(p.integer("train_studies", 0));
    src.testStudies = static_cast<int>(p.integer("test_studies", 0));
    src.valFraction = p.number("val_fraction", 0.0);
    src.seed = seedValue(p, "seed", 1);
    if (!(src.valFraction >= 0 && src.valFraction < 1)) p.problem("val_fraction", "expected a share in [0, 1)");
    Section t = p.sub("train");
    src.train = readTrain(t, defaults);
    t.finish();
    if (src.trainStudies < 0 || src.testStudies < 0) p.problem("train_studies", "expected non-negative counts");
    p.finish();
  } else {
    src.train = defaults;
  }
  if (src.pretrain == !src.checkpoint.empty())
    s.problem("checkpoint", "give exactly one of checkpoint = \"model.pt\" or a [" + std::string(name == "default" ? "source" : "sources." + name) + ".pretrain] table");
  s.finish();
  return src;
}

}  // namespace

Experiment loadExperiment(const std::filesystem::path& file) {
  TomlDocument doc = loadToml(file);
  const toml::table* root = doc.root.get();
  const std::string f = file.string();
  const auto base = file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
  ProblemList problems;
  Experiment e;
  e.file = file;
  Section top(root, f, "", &problems);
  e.name = top.string("name", file.stem().string());
  e.task = top.string("task", e.name);
  e.description = top.string("description", "");

  Section data(tableAt(root, "data"), f, "data", &problems);
  e.data = readData(data, base, true);
  data.finish();

  Section pre(tableAt(root, "preprocess"), f, "preprocess", &problems);
  e.preprocess = readPreprocess(pre, e.data.channels);
  pre.finish();
  Section mod(tableAt(root, "model"), f, "model", &problems);
  e.model = readModel(mod, static_cast<int>(std::max<size_t>(1, e.data.channels.size())));
  mod.finish();
  Section tr(tableAt(root, "train"), f, "train", &problems);
  e.train = readTrain(tr, train::TrainConfig{});
  tr.finish();
  Section inf(tableAt(root, "infer"), f, "infer", &problems);
  e.infer = readInfer(inf, infer::InferConfig{});
  inf.finish();
  Section ev(tableAt(root, "eval"), f, "eval", &problems);
  e.eval = readEval(ev);
  ev.finish();

  Section src(tableAt(root, "source"), f, "source", &problems);
  if (src.present()) e.sources["default"] = readSource(src, "default", base, e.train);
  if (auto* more = tableAt(root, "sources")) {
    for (const auto& [k, v] : *more) {
      const std::string name(k.str());
      Section s(v.as_table(), f, "sources." + name, &problems);
      if (!v.is_table()) s.problem(name, "expected a table");
      else e.sources[name] = readSource(s, name, base, e.train);
    }
  }

  Section test(tableAt(root, "test"), f, "test", &problems);
  e.testSubjects = test.strings("subjects", {});
  e.testCount = static_cast<int>(test.integer("count", 0));
  e.testSeed = seedValue(test, "seed", 1);
  if (!test.present()) test.problem("count", "missing [test] section (subjects = [...] or count + seed)");
  else if (e.testSubjects.empty() == (e.testCount <= 0)) test.problem("count", "give exactly one of subjects or count (> 0)");
  test.finish();

  Section sw(tableAt(root, "sweep"), f, "sweep", &problems);
  for (auto v : sw.integers("train_sizes", {})) e.trainSizes.push_back(static_cast<int>(v));
  e.repeats = static_cast<int>(sw.integer("repeats", 1));
  e.sweepSeed = seedValue(sw, "seed", 1);
  e.valFraction = sw.number("val_fraction", 0.0);
  if (e.trainSizes.empty()) sw.problem("train_sizes", "expected a non-empty list, e.g. [10, 20, 30]");
  for (int n : e.trainSizes)
    if (n < 1) sw.problem("train_sizes", "sizes must be >= 1, got " + std::to_string(n));
  if (e.repeats < 1) sw.problem("repeats", "expected >= 1");
  if (!(e.valFraction >= 0 && e.valFraction < 1)) sw.problem("val_fraction", "expected [0, 1)");
  sw.finish();

  // Arms: an array of tables.
  std::set<std::string> armNames;
  if (auto* arr = root->get("arms") ? root->get("arms")->as_array() : nullptr) {
    int i = 0;
    for (const auto& node : *arr) {
      ++i;
      Section a(node.as_table(), f, "arms #" + std::to_string(i), &problems);
      if (!node.is_table()) {
        a.problem("arms", "each [[arms]] entry must be a table");
        continue;
      }
      ArmSpec arm;
      arm.name = a.string("name", "");
      arm.init = a.choice("init", "scratch", {"scratch", "source"});
      arm.source = a.string("source", "default");
      arm.compareTo = a.string("compare_to", "");
      arm.train = readTrain(a, e.train);
      Section t = a.sub("train");
      arm.train = readTrain(t, arm.train);
      t.finish();
      a.finish();
      if (arm.name.empty()) a.problem("name", "every arm needs a name");
      else if (!armNames.insert(arm.name).second) a.problem("name", "duplicate arm name '" + arm.name + "'");
      if (arm.init == "source" && !e.sources.count(arm.source))
        a.problem("source", "init = \"source\" but no [source] (or [sources." + arm.source + "]) is defined");
      arm.train.init = arm.init;
      e.arms.push_back(arm);
    }
  } else {
    problems.add(f + ": no [[arms]] defined (e.g. [[arms]] name = \"de_novo\" init = \"scratch\")");
  }

  Section st(tableAt(root, "stats"), f, "stats", &problems);
  e.stats.metrics = st.strings("metrics", e.stats.metrics);
  e.stats.test = st.choice("test", e.stats.test, {"wilcoxon", "t"});
  e.stats.referenceArm = st.string("reference_arm", "");
  e.stats.paired.bootstrapResamples = static_cast<int>(st.integer("bootstrap", e.stats.paired.bootstrapResamples));
  e.stats.paired.seed = seedValue(st, "seed", static_cast<int64_t>(e.stats.paired.seed));
  e.stats.paired.ciLevel = st.number("ci_level", e.stats.paired.ciLevel);
  const auto cols = metrics::metricColumns();
  for (const auto& m : e.stats.metrics)
    if (std::find(cols.begin(), cols.end(), m) == cols.end()) st.problem("metrics", "unknown metric '" + m + "'");
  if (e.stats.referenceArm.empty()) {
    for (const auto& a : e.arms)
      if (a.init == "source") {
        e.stats.referenceArm = a.name;
        break;
      }
    if (e.stats.referenceArm.empty() && !e.arms.empty()) e.stats.referenceArm = e.arms.front().name;
  } else if (!armNames.count(e.stats.referenceArm)) {
    st.problem("reference_arm", "no arm named '" + e.stats.referenceArm + "'");
  }
  for (const auto& a : e.arms)
    if (!a.compareTo.empty() && (!armNames.count(a.compareTo) || a.compareTo == a.name))
      problems.add(f + ": [[arms]] '" + a.name + "': compare_to: expected the name of another arm, got '" + a.compareTo + "'");
  st.finish();
  top.markUsed({"data", "preprocess", "model", "train", "infer", "eval", "source", "sources", "test", "sweep", "arms",
                "stats"});
  top.finish();

  // Module-level checks, each naming the section.
  auto collect = [&](auto&& fn) {
    try {
      fn();
    } catch (const InputError& ex) {
      for (const auto& p : ex.problems()) problems.add(p);
    }
  };
  collect([&] { e.stats.paired.validate(f + ": [stats] "); });
  collect([&] { e.preprocess.validate(f + ": [preprocess] "); });
  collect([&] { e.model.validate(f + ": [model] "); });
  collect([&] { e.infer.validate(f + ": [infer] "); });
  collect([&] { e.eval.validate(f + ": [eval] "); });
  for (auto& a : e.arms) {
    // The source checkpoint is filled in at plan time; validate the rest now.
    train::TrainConfig t = a.train;
    if (t.init == "source") t.sourceCheckpoint = "(source)";
    collect([&] { t.validate(f + ": [[arms]] '" + a.name + "': "); });
    for (int d = 0; d < 3; ++d)
      if (t.patch[d] % (1 << (e.model.depth - 1)))
        problems.add(f + ": [[arms]] '" + a.name + "': patch: each side must be divisible by 2^(depth-1) = " +
                     std::to_string(1 << (e.model.depth - 1)));
  }
  for (auto& [n, s] : e.sources)
    if (s.pretrain) collect([&] { s.train.validate(f + ": [source " + n + "] train: "); });
  problems.throwIfAny();

  // The resolved definition, for provenance.
  nlohmann::json j;
  j["file"] = file.string();
  j["name"] = e.name;
  j["task"] = e.task;
  j["description"] = e.description;
  j["data"] = e.data.describe();
  j["channels"] = e.data.channels;
  j["preprocess"] = config::toJson(e.preprocess);
  j["model"] = config::toJson(e.model);
  j["train"] = config::toJson(e.train);
  j["infer"] = config::toJson(e.infer);
  j["eval"] = config::toJson(e.eval);
  j["test"] = {{"subjects", e.testSubjects}, {"count", e.testCount}, {"seed", e.testSeed}};
  j["sweep"] = {{"train_sizes", e.trainSizes}, {"repeats", e.repeats}, {"seed", e.sweepSeed},
                {"val_fraction", e.valFraction}, {"nested", "within a repeat, smaller sets are subsets of larger ones"}};
  nlohmann::json arms = nlohmann::json::array();
  for (const auto& a : e.arms)
    arms.push_back({{"name", a.name}, {"init", a.init}, {"source", a.source},
                    {"compare_to", a.compareTo.empty() || a.name == e.stats.referenceArm ? e.stats.referenceArm : a.compareTo},
                    {"train", config::toJson(a.train)}});
  j["arms"] = arms;
  nlohmann::json srcs = nlohmann::json::object();
  for (const auto& [n, s] : e.sources)
    srcs[n] = {{"checkpoint", s.checkpoint.string()}, {"pretrain", s.pretrain}, {"data", s.data.describe()},
               {"train_studies", s.trainStudies}, {"test_studies", s.testStudies}, {"seed", s.seed},
               {"train", config::toJson(s.train)}};
  j["sources"] = srcs;
  j["stats"] = {{"metrics", e.stats.metrics}, {"reference_arm", e.stats.referenceArm}, {"test", e.stats.test},
                {"bootstrap", e.stats.paired.bootstrapResamples}, {"seed", e.stats.paired.seed},
                {"ci_level", e.stats.paired.ciLevel},
                {"wilcoxon", "scipy defaults: zeros dropped, no continuity correction, exact for n <= 50 without ties"}};
  e.resolvedJson = j.dump(2);
  return e;
}

// ---------------------------------------------------------------- planning

namespace {

io::Manifest resolveManifest(const DataSpec& d, const std::filesystem::path& dataRoot, bool generate, int threads,
                             const std::string& what) {
  std::filesystem::path manifest = d.manifest;
  if (!d.cohort.empty()) {
    const synth::Preset& p = synth::preset(d.preset);
    synth::CohortOptions o;
    o.cohort = d.cohort;
    o.count = d.synthCount;
    if (o.count == 0)
      for (const auto& [c, n] : p.counts)
        if (c == d.cohort) o.count = n;
    o.seed = d.synthSeed;
    o.shape = d.spacingMm > 0 ? d.shape : p.shape;
    o.spacingMm = d.spacingMm > 0 ? d.spacingMm : p.spacingMm;
    o.longitudinalMode = d.longitudinalMode;
    o.threads = threads;
    const std::string grid = d.spacingMm > 0 ? "-" + std::to_string(d.shape[0]) + "x" + std::to_string(d.shape[1]) + "x" +
                                                   std::to_string(d.shape[2]) + "-" + std::to_string(d.spacingMm).substr(0, 4) + "mm"
                                             : "";
    manifest = dataRoot / (d.preset + grid + "-seed" + std::to_string(d.synthSeed)) / d.cohort / "manifest.csv";
    if (generate) manifest = synth::generateCohort(o, manifest.parent_path().parent_path(), true);
    else if (!std::filesystem::exists(manifest))
      return io::Manifest{};  // dry run without data: planned from names only
  }
  io::Manifest m = io::readManifest(manifest);
  m.requireChannels(d.channels);
  if (!m.hasLabel) throw InputError(manifest.string() + ": " + what + " needs a 'label' column");
  io::CheckOptions co;
  co.readVoxels = false;
  co.progress = false;
  auto rep = io::checkManifest(m, co);
  if (!rep.ok()) throw InputError(rep.problems);
  return m;
}

// Rows named as the generator names them, for planning before the data exist (dry runs).
io::Manifest syntheticRows(const DataSpec& d) {
  io::Manifest m;
  int count = d.synthCount;
  if (!count)
    for (const auto& [c, n] : synth::preset(d.preset).counts)
      if (c == d.cohort) count = n;
  for (int i = 0; i < count; ++i) {
    io::StudyRow r;
    r.subject = synth::subjectId(d.cohort, i);
    r.session = synth::sessionOf(d.cohort);
    m.rows.push_back(r);
  }
  return m;
}

// Study ids grouped by subject, subjects sorted.
std::map<std::string, std::vector<std::string>> bySubject(const io::Manifest& m) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& r : m.rows) out[r.subject].push_back(r.id());
  return out;
}

std::vector<std::string> shuffled(std::vector<std::string> v, uint64_t seed) {
  Rng rng(seed);
  std::shuffle(v.begin(), v.end(), rng.engine());
  return v;
}

std::string shortHash(const std::string& s) { return Hasher().str(s).hex().substr(0, 8); }

}  // namespace

Plan planExperiment(const Experiment& e, const std::filesystem::path& dataRoot, bool generate, int threads) {
  Plan plan;
  ProblemList problems;
  const std::string f = e.file.string();
  const nlohmann::json resolved = nlohmann::json::parse(e.resolvedJson);  // infer/eval settings recorded per run
  io::Manifest target = resolveManifest(e.data, dataRoot, generate, threads, "the target data");
  const bool dryWithoutData = target.rows.empty();
  if (dryWithoutData) target = syntheticRows(e.data);  // dry run before the data exist
  plan.manifests["target"] = target;
  auto subjects = bySubject(target);
  std::vector<std::string> subjectList;
  for (const auto& [s, ids] : subjects) subjectList.push_back(s);

  // The fixed test set, by subject.
  std::vector<std::string> testSubjects;
  if (!e.testSubjects.empty()) {
    for (const auto& s : e.testSubjects) {
      if (!subjects.count(s)) problems.add(f + ": [test] subjects: '" + s + "' is not in the target data");
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
  std::set<std::string> testSet(testSubjects.begin(), testSubjects.end());
  for (const auto& s : testSubjects)
    if (subjects.count(s))
      for (const auto& id : subjects[s]) plan.testIds.push_back(id);
  std::vector<std::string> pool;  // training pool: subjects not in the test set
  for (const auto& s : subjectList)
    if (!testSet.count(s)) pool.push_back(s);
  const int maxSize = *std::max_element(e.trainSizes.begin(), e.trainSizes.end());
  if (maxSize > static_cast<int>(pool.size()))
    problems.add(f + ": [sweep] train_sizes: " + std::to_string(maxSize) + " training subjects requested, the pool has " +
                 std::to_string(pool.size()) + " (after the " + std::to_string(testSet.size()) + " test subjects)");

  // Sources.
  std::map<std::string, std::string> sourceRunOf;
  std::map<std::string, std::filesystem::path> sourceCkptOf;
  for (const auto& [name, s] : e.sources) {
    if (!s.pretrain) {
      if (!std::filesystem::exists(s.checkpoint))
        problems.add(f + ": [source " + name + "] checkpoint: '" + s.checkpoint.string() + "' not found");
      sourceCkptOf[name] = s.checkpoint;
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
    auto sb = bySubject(sm);
    std::vector<std::string> ss;
    for (const auto& [sub, ids] : sb) {
      if (testSet.count(sub))
        problems.add(f + ": [source " + name + "]: subject '" + sub + "' is also a target test subject");
      ss.push_back(sub);
    }
    ss = shuffled(ss, mix64(s.seed ^ 0x50c3ULL));
    if (s.testStudies + 1 > static_cast<int>(ss.size()))
      problems.add(f + ": [source " + name + "] test_studies: leaves no training studies");
    RunSpec r;
    r.kind = "source";
    r.arm = name;
    const size_t nTest = static_cast<size_t>(std::max(0, s.testStudies));
    const size_t nTrain = s.trainStudies > 0 ? std::min(ss.size() - std::min(nTest, ss.size()), static_cast<size_t>(s.trainStudies))
                                             : ss.size() - std::min(nTest, ss.size());
    std::vector<std::string> trainSubj(ss.begin() + static_cast<long>(std::min(nTest, ss.size())),
                                       ss.begin() + static_cast<long>(std::min(nTest, ss.size()) + nTrain));
    const size_t nVal = trainSubj.size() > 1 ? static_cast<size_t>(std::lround(s.valFraction * trainSubj.size())) : 0;
    for (size_t i = 0; i < std::min(nTest, ss.size()); ++i)
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
                        {"infer", resolved["infer"]},
                        {"eval", resolved["eval"]}};
    r.configJson = j.dump(2);
    // Named by what makes it (not by the experiment), so experiments can share it.
    r.id = "source-" + s.data.cohort + (s.data.cohort.empty() ? s.data.manifest.stem().string() : "") + "-" +
           shortHash(r.configJson);
    sourceRunOf[name] = r.id;
    plan.sources.push_back(r);
  }

  // The sweep.
  for (int rep = 0; rep < e.repeats; ++rep) {
    const auto order = shuffled(pool, mix64(e.sweepSeed * 1000003ULL + static_cast<uint64_t>(rep)));
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
          for (const auto& id : subjects[subset[i]]) (i < nVal ? r.valIds : r.trainIds).push_back(id);
        r.testIds = plan.testIds;
        r.train = arm.train;
        r.train.seed = mix64(e.sweepSeed ^ (static_cast<uint64_t>(rep + 1) << 20) ^ static_cast<uint64_t>(n));
        if (arm.init == "source") {
          if (sourceRunOf.count(arm.source)) r.sourceRunId = sourceRunOf[arm.source];
          else if (sourceCkptOf.count(arm.source)) r.sourceCheckpoint = sourceCkptOf[arm.source];
        }
        nlohmann::json j = {{"kind", "sweep"}, {"arm", arm.name}, {"init", arm.init}, {"train_size", n},
                            {"repeat", rep + 1}, {"data", e.data.describe()}, {"channels", e.data.channels},
                            {"train_ids", r.trainIds}, {"val_ids", r.valIds}, {"test_ids", r.testIds},
                            {"train", config::toJson(r.train, true)}, {"model", config::toJson(e.model)},
                            {"preprocess", config::toJson(e.preprocess, true)}, {"source_run", r.sourceRunId},
                            {"source_checkpoint", r.sourceCheckpoint.string()},
                            {"infer", resolved["infer"]},
                            {"eval", resolved["eval"]}};
        r.configJson = j.dump(2);
        char head[64];
        std::snprintf(head, sizeof head, "%s-n%d-r%d-", arm.name.c_str(), n, rep + 1);
        r.id = head + shortHash(r.configJson);
        plan.runs.push_back(r);
      }
    }
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
