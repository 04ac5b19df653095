#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "lib/core/Csv.h"
#include "lib/core/Error.h"
#include "lib/experiment/Experiment.h"
#include "tests/support/TestSupport.h"

using namespace mst;
namespace fs = std::filesystem;

namespace {
const fs::path kQuick = fs::path(MST_SOURCE_DIR) / "tests" / "e2e" / "quick.toml";


std::vector<std::string> problemsOf(const fs::path& f) {
  try {
    experiment::loadExperiment(f);
  } catch (const InputError& e) {
    return e.problems();
  }
  return {};
}

bool anyHas(const std::vector<std::string>& v, const std::string& s) {
  return std::any_of(v.begin(), v.end(), [&](const std::string& x) { return x.find(s) != std::string::npos; });
}
}  // namespace

TEST(ExperimentFile, EveryProblemIsReportedAtOnceWithFileSectionAndKey) {
  test::TempDir d;
  test::writeFile(d / "bad.toml", R"(
name = "bad"
[data]
cohort = "ms_flair"
chanels = ["flair"]
[train]
iterations = "many"
optimizer = "rmsprop"
[eval]
criterion = "overlap"
[test]
count = 5
[sweep]
train_sizes = [0, 10]
[[arms]]
name = "ft"
init = "source"
)");
  auto p = problemsOf(d / "bad.toml");
  const std::string f = (d / "bad.toml").string();
  EXPECT_TRUE(anyHas(p, f + ": [data] chanels: unknown key")) << p.size();
  EXPECT_TRUE(anyHas(p, f + ": [train] iterations: expected an integer, got a string"));
  EXPECT_TRUE(anyHas(p, f + ": [train] optimizer: expected one of adam, sgd, got 'rmsprop'"));
  EXPECT_TRUE(anyHas(p, f + ": [eval] criterion: expected one of any, anima, iou:T, got 'overlap'"));
  EXPECT_TRUE(anyHas(p, f + ": [sweep] train_sizes: sizes must be >= 1, got 0"));
  EXPECT_TRUE(anyHas(p, "init = \"source\" but no [source]"));
  EXPECT_GE(p.size(), 6u);
}

TEST(ExperimentFile, SyntaxErrorsNameFileLineAndColumn) {
  test::TempDir d;
  test::writeFile(d / "syntax.toml", "name = \"x\"\n[data\ncohort = 1\n");
  auto p = problemsOf(d / "syntax.toml");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].find((d / "syntax.toml").string() + ":2:"), std::string::npos) << p[0];
}

TEST(ExperimentFile, InheritMergesTablesAndAnAblationArmIsOneBlock) {
  test::TempDir d;
  fs::copy_file(kQuick, d / "quick.toml");
  test::writeFile(d / "ablation.toml", test::readFile(kQuick) + R"(
[[arms]]
name = "lower_lr"
init = "source"
lr = 0.0002
lr_multipliers = { encoder = 0.1 }
[arms.train]
iterations = 20
)");
  auto e = experiment::loadExperiment(d / "ablation.toml");
  ASSERT_EQ(e.arms.size(), 4u);
  EXPECT_EQ(e.arms[3].name, "lower_lr");
  EXPECT_DOUBLE_EQ(e.arms[3].train.lr, 0.0002);
  EXPECT_EQ(e.arms[3].train.iterations, 20);
  EXPECT_DOUBLE_EQ(e.arms[3].train.lrMultipliers.at("encoder"), 0.1);
  EXPECT_EQ(e.arms[2].train.freeze, (std::vector<std::string>{"encoder"}));
  EXPECT_EQ(e.arms[0].train.iterations, 12);  // [train] default
  test::writeFile(d / "child.toml", "inherit = \"quick.toml\"\nname = \"child\"\n[train]\nlr = 0.01\n");
  auto c = experiment::loadExperiment(d / "child.toml");
  EXPECT_EQ(c.name, "child");
  EXPECT_DOUBLE_EQ(c.train.lr, 0.01);
  EXPECT_EQ(c.train.iterations, 12);  // merged from the base
  EXPECT_EQ(c.arms.size(), 3u);
}

TEST(ExperimentPlan, TestSetIsDisjointSubsetsAreNestedAndIdsAreStable) {
  test::TempDir d;
  auto e = experiment::loadExperiment(kQuick);
  auto plan = experiment::planExperiment(e, d.path(), false, 1);  // names only: no data generated
  ASSERT_EQ(plan.runs.size(), 2u * 2u * 3u);
  std::set<std::string> test(plan.testIds.begin(), plan.testIds.end());
  EXPECT_EQ(test.size(), 4u);
  std::map<std::pair<std::string, int>, std::vector<std::string>> small, large;
  for (const auto& r : plan.runs) {
    for (const auto& id : r.trainIds) EXPECT_FALSE(test.count(id)) << id << " is in the test set";
    (r.trainSize == 3 ? small : large)[{r.arm, r.repeat}] = r.trainIds;
  }
  for (const auto& [k, ids] : small) {
    const auto& big = large[k];
    for (const auto& id : ids) EXPECT_NE(std::find(big.begin(), big.end(), id), big.end()) << "not nested";
  }
  // Arms share their subsets (paired design); repeats draw different ones.
  const auto key = [](const char* arm, int repeat) { return std::make_pair(std::string(arm), repeat); };
  EXPECT_EQ(small[key("de_novo", 1)], small[key("fine_tuned", 1)]);
  EXPECT_NE(large[key("de_novo", 1)], large[key("de_novo", 2)]);
  auto again = experiment::planExperiment(e, d.path(), false, 1);
  for (size_t i = 0; i < plan.runs.size(); ++i) EXPECT_EQ(plan.runs[i].id, again.runs[i].id);
  e.arms[1].train.lr *= 2;
  auto changed = experiment::planExperiment(e, d.path(), false, 1);
  std::set<std::string> before, after;
  for (const auto& r : plan.runs) before.insert(r.id);
  for (const auto& r : changed.runs) after.insert(r.id);
  int differing = 0;
  for (const auto& id : after) differing += !before.count(id);
  EXPECT_EQ(differing, 4);  // only that arm's runs get new ids
}

TEST(ExperimentPlan, ShardsCoverEveryRunExactlyOnce) {
  test::TempDir d;
  auto plan = experiment::planExperiment(experiment::loadExperiment(kQuick), d.path(), false, 1);
  for (int n = 1; n <= 5; ++n) {
    std::multiset<std::string> seen;
    for (int k = 1; k <= n; ++k)
      for (const auto& r : experiment::shardRuns(plan.runs, k, n)) seen.insert(r.id);
    EXPECT_EQ(seen.size(), plan.runs.size());
    for (const auto& r : plan.runs) EXPECT_EQ(seen.count(r.id), 1u) << r.id;
  }
  EXPECT_THROW(experiment::shardRuns(plan.runs, 3, 2), InputError);
}

TEST(ExperimentPlan, TooLargeTrainingSizesAreReportedBeforeAnyWork) {
  test::TempDir d;
  auto e = experiment::loadExperiment(kQuick);
  e.trainSizes = {3, 50};
  try {
    experiment::planExperiment(e, d.path(), false, 1);
    FAIL();
  } catch (const InputError& ex) {
    EXPECT_NE(std::string(ex.what()).find("50 training subjects requested, the pool has 8"), std::string::npos)
        << ex.what();
  }
}


TEST(ExperimentPlan, AFixedValidationSetIsSharedByEveryRunAndDisjointFromTestAndPools) {
  test::TempDir d;
  test::writeFile(d / "val.toml", "inherit = \"" + kQuick.string() + "\"\n[validation]\ncount = 2\nseed = 9\n"
                                  "[train]\nearly_stop = true\nval_every = 4\n[source.pretrain]\nval_studies = 2\n"
                                  "[source.pretrain.train]\nearly_stop = true\nval_every = 5\n");
  auto e = experiment::loadExperiment(d / "val.toml");
  auto plan = experiment::planExperiment(e, d.path(), false, 1);
  ASSERT_EQ(plan.valIds.size(), 2u);
  const std::set<std::string> val(plan.valIds.begin(), plan.valIds.end()), test(plan.testIds.begin(), plan.testIds.end());
  for (const auto& id : val) EXPECT_FALSE(test.count(id)) << id << " is in both the validation and the test set";
  std::set<std::string> pool;
  for (const auto& r : plan.runs) {
    EXPECT_EQ(r.valIds, plan.valIds) << r.id << ": every arm and size validates on the same studies";
    for (const auto& id : r.trainIds) {
      EXPECT_FALSE(val.count(id)) << id << " trains and validates";
      pool.insert(id);
    }
  }
  EXPECT_EQ(pool.size(), 12u - 4u - 2u);  // the largest size (6) takes the whole pool
  ASSERT_EQ(plan.sources.size(), 1u);
  EXPECT_EQ(plan.sources[0].valIds.size(), 2u);
  EXPECT_EQ(plan.sources[0].trainIds.size(), 4u);

  // Early stopping without validation studies is refused before any work, naming what to add.
  test::writeFile(d / "noval.toml", "inherit = \"" + kQuick.string() + "\"\n[train]\nearly_stop = true\nval_every = 4\n");
  try {
    experiment::planExperiment(experiment::loadExperiment(d / "noval.toml"), d.path(), false, 1);
    FAIL() << "early stopping without validation studies accepted";
  } catch (const InputError& ex) {
    EXPECT_TRUE(anyHas(ex.problems(), "early_stop = true needs validation studies (a [validation] section)")) << ex.what();
    EXPECT_TRUE(anyHas(ex.problems(), "[source default]: early_stop = true needs validation studies")) << ex.what();
  }
}

namespace {
// An experiment in DIR/FILE with a relative manifest and source checkpoint (DIR/models/src.pt, written).
void writeCheckpointExperiment(const fs::path& dir, const std::string& file) {
  fs::create_directories(dir / "models");
  test::writeFile(dir / "models" / "src.pt", "weights");
  test::writeFile(dir / file, R"(
name = "base"
[data]
channels = ["flair"]
manifest = "train.csv"
[source]
checkpoint = "models/src.pt"
[test]
count = 2
[sweep]
train_sizes = [2]
[[arms]]
name = "fine_tuned"
init = "source"
)");
}
}  // namespace

// A path an inherited file gives (a source checkpoint, a manifest) is relative to that file's
// folder, as when the file is run itself: experiments/ablations/ inherit experiments/demo/'s
// shipped sources this way.
TEST(ExperimentFile, InheritedPathsAreRelativeToTheFileThatGivesThem) {
  test::TempDir d;
  writeCheckpointExperiment(d / "base", "base.toml");
  fs::create_directories(d / "child");
  test::writeFile(d / "child" / "child.toml", "inherit = \"../base/base.toml\"\nname = \"child\"\n");
  const auto e = experiment::loadExperiment(d / "child" / "child.toml");
  EXPECT_EQ(fs::weakly_canonical(e.sources.at("default").checkpoint), fs::weakly_canonical(d / "base" / "models" / "src.pt"));
  EXPECT_EQ(fs::weakly_canonical(e.data.manifest).lexically_normal(), (fs::weakly_canonical(d / "base") / "train.csv"));
}

// The runner plans with the file as given, its children get its absolute path: a relative
// checkpoint or manifest must resolve to the same definition either way (else every child
// refuses to run: "the experiment file changed while the experiment was running").
TEST(ExperimentFile, TheResolvedDefinitionDoesNotDependOnHowTheFileIsNamed) {
  test::TempDir d;
  writeCheckpointExperiment(d / "exp", "e.toml");
  const fs::path cwd = fs::current_path();
  fs::current_path(d / "");
  const auto rel = experiment::loadExperiment("exp/e.toml");
  fs::current_path(cwd);
  const auto abs = experiment::loadExperiment(d / "exp" / "e.toml");
  auto withoutFile = [](const std::string& j) {  // the file's own name aside, as the runner's plan hash
    auto v = nlohmann::json::parse(j);
    v.erase("file");
    return v.dump();
  };
  EXPECT_EQ(rel.sources.at("default").checkpoint, abs.sources.at("default").checkpoint);
  EXPECT_EQ(rel.data.manifest, abs.data.manifest);
  EXPECT_TRUE(rel.sources.at("default").checkpoint.is_absolute());
  EXPECT_EQ(withoutFile(rel.resolvedJson), withoutFile(abs.resolvedJson));
}
