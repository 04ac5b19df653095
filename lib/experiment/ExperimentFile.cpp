// Loading an experiment file: every section read into the settings structs,
// every problem collected (file, section, key), then the whole definition
// checked and resolved (inheritance applied) for provenance.
#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "lib/config/Json.h"
#include "lib/core/Error.h"
#include "lib/core/Fs.h"
#include "lib/experiment/ExperimentParts.h"
#include "lib/experiment/Sections.h"
#include "lib/experiment/TomlFile.h"

namespace mst::experiment {

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

namespace {

SourceSpec readSource(Section& s, const std::string& name, const std::filesystem::path& base,
                      const train::TrainConfig& defaults) {
  SourceSpec src;
  src.name = name;
  const std::string ck = s.string("checkpoint", "");
  if (!ck.empty()) src.checkpoint = resolveAgainst(std::filesystem::absolute(base), ck);  // the same for runner and children
  src.checkpointHash = s.string("checkpoint_hash", "");
  if (!src.checkpointHash.empty() && ck.empty()) s.problem("checkpoint_hash", "needs checkpoint = \"model.pt\"");
  Section p = s.sub("pretrain");
  src.pretrain = p.present();
  if (src.pretrain) {
    src.data = readData(p, base, true);
    src.trainStudies = static_cast<int>(p.integer("train_studies", 0));
    src.testStudies = static_cast<int>(p.integer("test_studies", 0));
    src.valFraction = p.number("val_fraction", 0.0);
    src.valStudies = static_cast<int>(p.integer("val_studies", 0));
    if (src.valStudies < 0) p.problem("val_studies", "expected >= 0, got " + std::to_string(src.valStudies));
    if (src.valStudies > 0 && src.valFraction > 0) p.problem("val_studies", "give val_studies or val_fraction, not both");
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

// [data], [preprocess], [model], [train], [infer], [eval] and the sources.
void readSettings(const toml::table* root, const std::string& f, const std::filesystem::path& base, ProblemList& problems,
                  Experiment& e) {
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
}

// [test] and [sweep].
void readDesign(const toml::table* root, const std::string& f, ProblemList& problems, Experiment& e) {
  Section test(tableAt(root, "test"), f, "test", &problems);
  e.testSubjects = test.strings("subjects", {});
  e.testCount = static_cast<int>(test.integer("count", 0));
  e.testSeed = seedValue(test, "seed", 1);
  if (!test.present()) test.problem("count", "missing [test] section (subjects = [...] or count + seed)");
  else if (e.testSubjects.empty() == (e.testCount <= 0)) test.problem("count", "give exactly one of subjects or count (> 0)");
  test.finish();

  Section val(tableAt(root, "validation"), f, "validation", &problems);
  e.valSubjects = val.strings("subjects", {});
  e.valCount = static_cast<int>(val.integer("count", 0));
  e.valSeed = seedValue(val, "seed", 1);
  if (e.valCount < 0) val.problem("count", "expected >= 0, got " + std::to_string(e.valCount));
  if (val.present() && e.valSubjects.empty() == (e.valCount <= 0))
    val.problem("count", "give exactly one of subjects or count (> 0)");
  val.finish();

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
  if (e.valFraction > 0 && (e.valCount > 0 || !e.valSubjects.empty()))
    sw.problem("val_fraction", "give [validation] or [sweep] val_fraction, not both");
  sw.finish();
}

// [[arms]]: each inherits [train] and overrides it inline or in its own [arms.train].
void readArms(const toml::table* root, const std::string& f, ProblemList& problems, Experiment& e) {
  std::set<std::string> armNames;
  auto* arr = root->get("arms") ? root->get("arms")->as_array() : nullptr;
  if (!arr) {
    problems.add(f + ": no [[arms]] defined (e.g. [[arms]] name = \"de_novo\" init = \"scratch\")");
    return;
  }
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
}

// [stats]; the reference arm defaults to the first fine-tuned arm (else the first arm).
void readStats(const toml::table* root, const std::string& f, ProblemList& problems, Experiment& e) {
  std::set<std::string> armNames;
  for (const auto& a : e.arms) armNames.insert(a.name);
  Section st(tableAt(root, "stats"), f, "stats", &problems);
  e.stats.metrics = st.strings("metrics", e.stats.metrics);
  e.stats.test = st.choice("test", e.stats.test, {"two_level", "wilcoxon", "t"});
  e.stats.referenceArm = st.string("reference_arm", "");
  e.stats.paired.bootstrapResamples = static_cast<int>(st.integer("bootstrap", e.stats.paired.bootstrapResamples));
  e.stats.paired.seed = seedValue(st, "seed", static_cast<int64_t>(e.stats.paired.seed));
  e.stats.paired.ciLevel = st.number("ci_level", e.stats.paired.ciLevel);
  e.stats.interval = st.choice("interval", e.stats.interval, {"se", "ci"});
  e.stats.volumeBinsMm3 = st.numbers("volume_bins_mm3", e.stats.volumeBinsMm3);
  for (size_t i = 0; i < e.stats.volumeBinsMm3.size(); ++i) {
    const double b = e.stats.volumeBinsMm3[i];
    if (!(b > 0) || !std::isfinite(b) || (i > 0 && !(b > e.stats.volumeBinsMm3[i - 1]))) {
      st.problem("volume_bins_mm3", "expected increasing positive volumes in mm^3, got " + std::to_string(b) +
                                        " at position " + std::to_string(i + 1));
      break;
    }
  }
  e.stats.planHalfWidth = st.number("plan_half_width", e.stats.planHalfWidth);
  if (!(e.stats.planHalfWidth > 0 && e.stats.planHalfWidth < 1))
    st.problem("plan_half_width", "expected a CI half-width in (0, 1), e.g. 0.05, got " +
                                      std::to_string(e.stats.planHalfWidth));
  e.stats.frocMaxFp = st.number("froc_max_fp", e.stats.frocMaxFp);
  if (!(e.stats.frocMaxFp > 0) || !std::isfinite(e.stats.frocMaxFp))
    st.problem("froc_max_fp", "expected a positive number of false-positive lesions per study, got " +
                                  std::to_string(e.stats.frocMaxFp));
  auto cols = metrics::metricColumns();
  cols.push_back("lesion_ap");  // from the report's threshold sweep
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
}

// Module-level checks, each naming the section.
void checkSettings(const Experiment& e, const std::string& f, ProblemList& problems) {
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
  // [train] once; an arm or source that inherits the same bad value is not reported again.
  std::set<std::string> baseProblems;
  auto collectOwn = [&](const train::TrainConfig& t, const std::string& where) {
    try {
      t.validate(where);
    } catch (const InputError& ex) {
      for (const auto& p : ex.problems())
        if (!baseProblems.count(p.substr(std::min(where.size(), p.size())))) problems.add(p);
    }
  };
  {
    train::TrainConfig t = e.train;
    t.sourceCheckpoint = "(source)";
    const std::string where = f + ": [train] ";
    try {
      t.validate(where);
    } catch (const InputError& ex) {
      for (const auto& p : ex.problems()) {
        problems.add(p);
        baseProblems.insert(p.substr(std::min(where.size(), p.size())));
      }
    }
  }
  for (auto& a : e.arms) {
    // The source checkpoint is filled in at plan time; validate the rest now.
    train::TrainConfig t = a.train;
    if (t.init == "source") t.sourceCheckpoint = "(source)";
    collectOwn(t, f + ": [[arms]] '" + a.name + "': ");
    for (int d = 0; d < 3; ++d)
      if (t.patch[d] % (1 << (e.model.depth - 1)))
        problems.add(f + ": [[arms]] '" + a.name + "': patch: each side must be divisible by 2^(depth-1) = " +
                     std::to_string(1 << (e.model.depth - 1)));
  }
  for (auto& [n, s] : e.sources)
    if (s.pretrain) collectOwn(s.train, f + ": [source " + n + "] train: ");
}

// The resolved definition (inheritance applied, defaults filled in), for provenance.
nlohmann::json resolvedJson(const Experiment& e) {
  nlohmann::json j;
  j["file"] = e.file.string();
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
  j["validation"] = {{"subjects", e.valSubjects}, {"count", e.valCount}, {"seed", e.valSeed}};
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
    srcs[n] = {{"checkpoint", s.checkpoint.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.checkpoint.string())},
               {"checkpoint_hash", s.checkpointHash.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.checkpointHash)},
               {"pretrain", s.pretrain}, {"data", s.data.describe()},
               {"train_studies", s.trainStudies}, {"test_studies", s.testStudies}, {"val_studies", s.valStudies},
               {"seed", s.seed},
               {"train", config::toJson(s.train)}};
  j["sources"] = srcs;
  j["stats"] = {{"metrics", e.stats.metrics}, {"reference_arm", e.stats.referenceArm}, {"test", e.stats.test},
                {"bootstrap", e.stats.paired.bootstrapResamples}, {"seed", e.stats.paired.seed},
                {"ci_level", e.stats.paired.ciLevel}, {"interval", e.stats.interval},
                {"volume_bins_mm3", e.stats.volumeBinsMm3}, {"froc_max_fp", e.stats.frocMaxFp},
                {"plan_half_width", e.stats.planHalfWidth},
                {"wilcoxon", "scipy defaults: zeros dropped, no continuity correction, exact for n <= 50 without ties"}};
  return j;
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
  readSettings(root, f, base, problems, e);
  readDesign(root, f, problems, e);
  readArms(root, f, problems, e);
  readStats(root, f, problems, e);
  top.markUsed({"data", "preprocess", "model", "train", "infer", "eval", "source", "sources", "test", "validation", "sweep",
                "arms", "stats"});
  top.finish();
  checkSettings(e, f, problems);
  problems.throwIfAny();
  e.resolvedJson = resolvedJson(e).dump(2);
  return e;
}

}  // namespace mst::experiment
