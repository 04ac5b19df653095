// The report's uncertainty over runs and studies against an independent numpy implementation
// (tests/reference/two_level.py, written from docs/METRICS.md) on the fixed per-study results of
// a small experiment: two arms, two sizes, three repeats, eight test studies
// (tests/data/two_level/per_study_runs.csv, made by tests/reference/make_two_level_data.py).
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "lib/core/Csv.h"
#include "lib/report/Report.h"
#include "tests/support/TestSupport.h"

using namespace mst;
namespace fs = std::filesystem;

namespace {

const fs::path kData = fs::path(MST_SOURCE_DIR) / "tests" / "data" / "two_level" / "per_study_runs.csv";

std::string at(const CsvTable& t, size_t row, const std::string& col) {
  return t.rows.at(row).at(static_cast<size_t>(t.column(col)));
}

// One run folder per (arm, size, repeat) of the fixed file, with the report's plan.
fs::path writeExperiment(const test::TempDir& d) {
  const fs::path e = d / "exp";
  const CsvTable in = readCsv(kData);
  std::map<std::string, std::pair<nlohmann::json, std::string>> runs;
  const std::vector<std::string> cols = {"subject", "session", "n_truth", "n_pred", "tp_truth", "tp_pred", "sensitivity", "ppv"};
  for (size_t r = 0; r < in.rows.size(); ++r) {
    const std::string id = at(in, r, "arm") + "_n" + at(in, r, "train_size") + "_r" + at(in, r, "repeat");
    auto& [meta, csv] = runs[id];
    if (csv.empty()) {
      meta = {{"id", id}, {"arm", at(in, r, "arm")}, {"train_size", std::stoi(at(in, r, "train_size"))},
              {"repeat", std::stoi(at(in, r, "repeat"))}, {"status", "done"}};
      csv = csvLine(cols);
    }
    std::vector<std::string> line;
    for (const auto& c : cols) line.push_back(at(in, r, c));
    csv += csvLine(line);
  }
  nlohmann::json ids = nlohmann::json::array();
  for (auto& [id, mc] : runs) {
    fs::create_directories(e / "runs" / id);
    test::writeFile(e / "runs" / id / "per_study.csv", mc.second);
    mc.first["per_study_hash"] = report::perStudyHash(mc.second);
    test::writeFile(e / "runs" / id / "run.json", mc.first.dump(2));
    ids.push_back(id);
  }
  nlohmann::json ex = {{"name", "two_level"},
                       {"task", "two-level check"},
                       {"arms", {{{"name", "de_novo"}, {"init", "scratch"}}, {{"name", "fine_tuned"}, {"init", "source"}}}},
                       {"stats", {{"metrics", {"sensitivity", "ppv"}}, {"reference_arm", "de_novo"}}}};
  test::writeFile(e / "experiment.json", ex.dump(2));
  test::writeFile(e / "plan.json", nlohmann::json({{"runs", ids}, {"sources", nlohmann::json::array()}}).dump());
  return e;
}

nlohmann::json reference(const test::TempDir& d) {
  const fs::path out = d / "reference.json";
  const std::string cmd = "/usr/bin/python3 '" + (fs::path(MST_SOURCE_DIR) / "tests/reference/two_level.py").string() +
                          "' '" + kData.string() + "' '" + out.string() + "'";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd << " (needs python3-numpy: make deps)";
  return nlohmann::json::parse(test::readFile(out));
}

// The experiment, its report and the reference, made once for the suite.
class TwoLevelReport : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir("mst-two-level");
    e = writeExperiment(*dir_);
    report::buildReport(e);
    ref = reference(*dir_);
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static inline test::TempDir* dir_ = nullptr;
  static inline fs::path e;
  static inline nlohmann::json ref;
};

}  // namespace

TEST_F(TwoLevelReport, ComparisonsMatchTheNumpyReference) {
  const CsvTable cmp = readCsv(e / "comparisons.csv");
  int checked = 0;
  for (size_t i = 0; i < cmp.rows.size(); ++i) {
    const std::string metric = at(cmp, i, "metric");
    if (metric != "sensitivity" && metric != "ppv") continue;
    const auto& r = ref.at("comparisons").at(metric + "/" + at(cmp, i, "train_size"));
    SCOPED_TRACE(metric + " n " + at(cmp, i, "train_size"));
    EXPECT_EQ(at(cmp, i, "n_runs_a"), "3");
    EXPECT_EQ(at(cmp, i, "n_runs_b"), "3");
    EXPECT_EQ(std::stoi(at(cmp, i, "n_pairs")), r.at("n_studies").get<int>());
    // Written with 10 significant digits: equal to the reference's double at that precision.
    EXPECT_NEAR(std::stod(at(cmp, i, "mean_diff")), r.at("mean_diff").get<double>(), 1e-9);
    EXPECT_NEAR(std::stod(at(cmp, i, "ci_low")), r.at("ci_low").get<double>(), 0.03);
    EXPECT_NEAR(std::stod(at(cmp, i, "ci_high")), r.at("ci_high").get<double>(), 0.03);
    EXPECT_EQ(at(cmp, i, "ci_method"), "two-level bootstrap, percentile, 10000 resamples");
    EXPECT_NEAR(std::stod(at(cmp, i, "run_sd_a")), std::sqrt(r.at("var_run_a").get<double>()), 1e-8);
    EXPECT_NEAR(std::stod(at(cmp, i, "run_sd_b")), std::sqrt(r.at("var_run_b").get<double>()), 1e-8);
    EXPECT_FALSE(at(cmp, i, "p_two_level").empty());
    ++checked;
  }
  EXPECT_EQ(checked, 4);  // two metrics x two sizes
}

TEST_F(TwoLevelReport, EachComparisonStatesItsHalfWidthAndWhatItShows) {
  const CsvTable cmp = readCsv(e / "comparisons.csv");
  const std::string md = test::readFile(e / "report.md");
  ASSERT_NE(md.find("### Verdicts"), std::string::npos) << md;
  for (size_t i = 0; i < cmp.rows.size(); ++i) {
    const double lo = std::stod(at(cmp, i, "ci_low")), hi = std::stod(at(cmp, i, "ci_high"));
    SCOPED_TRACE(at(cmp, i, "metric") + " n " + at(cmp, i, "train_size"));
    EXPECT_NEAR(std::stod(at(cmp, i, "half_width")), (hi - lo) / 2, 1e-9);
    // mean_diff = arm_a - arm_b: a CI above 0 says arm_a is higher, below 0 arm_b, across 0 neither.
    const std::string want = lo > 0 ? at(cmp, i, "arm_a") + " higher"
                                    : hi < 0 ? at(cmp, i, "arm_b") + " higher" : std::string("no difference");
    EXPECT_EQ(at(cmp, i, "verdict"), want);
    EXPECT_NE(md.find("| " + at(cmp, i, "train_size") + " | " + at(cmp, i, "metric") + " | "), std::string::npos);
  }
  // The default target (plan_half_width 0.05) is stated with the count that meets it.
  EXPECT_NE(md.find("intervals have a half-width of at most 0.05"), std::string::npos) << md;
}

TEST_F(TwoLevelReport, PlanningMatchesTheReferenceFormulaAndItsSimulation) {
  const CsvTable plan = readCsv(e / "planning.csv");
  ASSERT_EQ(plan.rows.size(), 4u);
  for (size_t i = 0; i < plan.rows.size(); ++i) {
    const auto& r = ref.at("comparisons").at(at(plan, i, "metric") + "/" + at(plan, i, "train_size"));
    SCOPED_TRACE(at(plan, i, "metric") + " n " + at(plan, i, "train_size"));
    for (const char* c : {"var_run_a", "var_run_b", "var_residual_a", "var_residual_b", "var_study_diff"})
      EXPECT_NEAR(std::stod(at(plan, i, c)), r.at(c).get<double>(), 1e-9) << c;
    const double planned = std::stod(at(plan, i, "planned_half_width"));
    EXPECT_NEAR(planned, r.at("planned_half_width").get<double>(), 1e-9);
    // 20000 simulated designs: the SD of the estimate is known to about 1 %.
    EXPECT_NEAR(planned, r.at("simulated_half_width").get<double>(), 0.04 * planned);
  }
}

TEST_F(TwoLevelReport, EfficiencyHasARowPerFineTunedSizeAndMetric) {
  const CsvTable eff = readCsv(e / "efficiency.csv");
  for (const char* c : {"task", "metric", "train_size", "de_novo_equivalent", "ci_low", "ci_high", "censored", "method"})
    EXPECT_GE(eff.column(c), 0) << c;
  std::set<std::string> seen;
  for (size_t i = 0; i < eff.rows.size(); ++i) {
    const std::string metric = at(eff, i, "metric"), size = at(eff, i, "train_size");
    seen.insert(metric + "/" + size);
    EXPECT_EQ(at(eff, i, "arm"), "fine_tuned");
    EXPECT_EQ(at(eff, i, "reference_arm"), "de_novo");
    const auto& r = ref.at("efficiency").at(metric).at(size);
    EXPECT_NEAR(std::stod(at(eff, i, "value")), r.at("value").get<double>(), 1e-9);
    EXPECT_NEAR(std::stod(at(eff, i, "de_novo_equivalent")), r.at("equivalent").get<double>(), 1e-6);
    EXPECT_EQ(at(eff, i, "censored"), r.at("censored").get<std::string>());
    const double lo = std::stod(at(eff, i, "ci_low")), hi = std::stod(at(eff, i, "ci_high"));
    EXPECT_GE(lo, 5);
    EXPECT_LE(hi, 20);
    EXPECT_LE(lo, hi);
  }
  EXPECT_EQ(seen, (std::set<std::string>{"sensitivity/5", "sensitivity/20", "ppv/5", "ppv/20"}));
  const std::string md = test::readFile(e / "report.md");
  EXPECT_NE(md.find("### Studies saved by transfer"), std::string::npos);
  EXPECT_NE(md.find("fine_tuned with 5 studies"), std::string::npos) << md;
  EXPECT_NE(md.find("### Uncertainty: variance components and planning"), std::string::npos);
}
