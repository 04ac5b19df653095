#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "lib/core/Csv.h"
#include "lib/core/Error.h"
#include "lib/experiment/Experiment.h"
#include "lib/report/Report.h"
#include "tests/support/TestSupport.h"

using namespace mst;
namespace fs = std::filesystem;

namespace {
const fs::path kQuick = fs::path(MST_SOURCE_DIR) / "tests" / "e2e" / "quick.toml";

std::string slurp(const fs::path& p) {
  std::ifstream f(p);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

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
  test::writeFile(d / "ablation.toml", slurp(kQuick) + R"(
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

TEST(ReportFormat, MeanSeAndPValuesAsInTheStudy) {
  EXPECT_EQ(report::meanSe(0.5512, 0.0249, true), "0.55 ± 0.02");
  EXPECT_EQ(report::meanSe(0.5, 0, false), "0.50");
  EXPECT_EQ(report::formatP(0.0004), "p < 0.001");
  EXPECT_EQ(report::formatP(0.437), "p = 0.437");
}

// The whole path as a user runs it: run (interrupted, then resumed), dry run,
// report, Slurm script. A quick profile of `make demo`.
TEST(EndToEnd, QuickExperimentRunsResumesReportsAndWritesSlurm) {
  test::TempDir d;
  const std::string common = "'" + kQuick.string() + "' --results '" + (d / "res").string() + "' --data-root '" +
                             (d / "data").string() + "' --threads 2";
  auto r = test::runCli("run " + common + " --dry-run");
  ASSERT_EQ(r.code, 0) << r.err;
  std::vector<std::string> lines;
  std::stringstream ss(r.out);
  for (std::string l; std::getline(ss, l);) lines.push_back(l);
  ASSERT_EQ(lines.size(), 1u + 12u + 1u);
  EXPECT_EQ(lines[0].rfind("source-source_flair-", 0), 0u) << lines[0];
  EXPECT_NE(lines[1].find("\tsweep\tde_novo\tn=3\trepeat=1\tnew\tscratch"), std::string::npos) << lines[1];
  EXPECT_EQ(lines.back(), "summary: quick_flair: 12 of 12 runs will train (12 new, 0 partial, 0 done, 0 reused from "
                          "other experiments), and 1 source model(s)");
  // Stopped after 5 runs (as if killed), then continued by the same command.
  r = test::runCli("run " + common + " --jobs 2 2>&1", "MST_STOP_AFTER_RUNS=5");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("5 runs completed, 0 already done, of 12"), std::string::npos) << r.out;
  r = test::runCli("run " + common + " --jobs 2");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("7 runs completed, 5 already done, of 12"), std::string::npos) << r.out;
  const fs::path exp = d / "res" / "quick_flair";
  int done = 0;
  for (const auto& e : fs::directory_iterator(exp / "runs")) done += fs::exists(e.path() / "run.json");
  EXPECT_EQ(done, 12);
  // A run killed before it recorded its result (no run.json) is redone; the others are kept.
  int removed = 0;
  for (const auto& e : fs::directory_iterator(exp / "runs"))
    if (removed < 3 && e.path().filename().string().rfind("de_novo", 0) == 0) {
      fs::remove(e.path() / "run.json");
      ++removed;
    }
  r = test::runCli("run " + common);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("3 runs completed, 9 already done, of 12"), std::string::npos) << r.out;
  for (const char* f : {"per_study.csv", "summary.csv", "comparisons.csv", "table.md", "table.tex", "table.csv",
                        "report.md", "experiment.json", "sources.csv"})
    EXPECT_TRUE(fs::exists(exp / f)) << f;
  const std::string table = slurp(exp / "table.md");
  EXPECT_NE(table.find(" ± "), std::string::npos) << table;
  EXPECT_NE(table.find("(p "), std::string::npos) << table;
  CsvTable summary = readCsv(exp / "summary.csv");
  EXPECT_EQ(summary.header, (std::vector<std::string>{"task", "train_size", "arm", "repeat", "metric", "mean", "se", "n"}));
  // Provenance of a run.
  for (const auto& e : fs::directory_iterator(exp / "runs")) {
    const std::string j = slurp(e.path() / "run.json");
    for (const char* k : {"\"git_commit\"", "\"libraries\"", "\"seed\"", "\"config\"", "\"timings_s\"", "\"train_ids\""})
      EXPECT_NE(j.find(k), std::string::npos) << k;
    break;
  }
  // report rebuilds from stored results alone.
  fs::remove(exp / "table.md");
  r = test::runCli("report '" + (d / "res").string() + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(fs::exists(exp / "table.md"));
  // Slurm array script.
  r = test::runCli("slurm '" + kQuick.string() + "' --out '" + (d / "job.sbatch").string() + "' --results '" +
                   (d / "res").string() + "' --shards 4 --data-root '" +
                   (d / "data").string() + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string sb = slurp(d / "job.sbatch");
  EXPECT_NE(sb.find("#SBATCH --array=1-4"), std::string::npos) << sb;
  EXPECT_NE(sb.find("--shard \"${SLURM_ARRAY_TASK_ID}/4\""), std::string::npos) << sb;
  // Absolute paths (the job runs wherever Slurm starts it), task logs under results/<name>/slurm/, and
  // the dependent report job printed ready to paste.
  EXPECT_NE(sb.find("--results \"/"), std::string::npos) << sb;
  EXPECT_NE(sb.find("#SBATCH --output=/"), std::string::npos) << sb;
  EXPECT_NE(r.out.find("sbatch --dependency=afterok:$jobid"), std::string::npos) << r.out;
  // A shard runs only its share.
  r = test::runCli("run " + common + " --shard 2/4 --dry-run");
  ASSERT_EQ(r.code, 0);
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1 + 3 + 1);
}

TEST(EndToEnd, BadExperimentExitsTwoAndChangesNothing) {
  test::TempDir d;
  test::writeFile(d / "bad.toml", "name = \"b\"\n[data]\ncohort = \"nope\"\n[test]\ncount = 2\n[sweep]\ntrain_sizes = [1]\n");
  auto r = test::runCli("run '" + (d / "bad.toml").string() + "' --results '" + (d / "res").string() + "'");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("[data] cohort: unknown cohort 'nope'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no [[arms]] defined"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(d / "res"));
}
