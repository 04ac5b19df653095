// The report from a results folder written by hand: tables, summary and
// comparisons against SciPy 1.10.1 (Debian python3-scipy), and the refusal of
// incomplete results.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "lib/core/Csv.h"
#include "lib/report/Report.h"
#include "tests/support/TestSupport.h"

using namespace mst;
namespace fs = std::filesystem;

namespace {

// Sensitivities of ten test studies (StatsTest's kA and kB).
const std::vector<double> kFineTuned = {0.55, 0.61, 0.48, 0.70, 0.52, 0.66, 0.59, 0.45, 0.63, 0.58};
const std::vector<double> kDeNovo = {0.49, 0.50, 0.47, 0.62, 0.55, 0.52, 0.51, 0.40, 0.60, 0.47};

void writeRun(const fs::path& expDir, const std::string& id, const std::string& arm, const std::vector<double>& sens,
              int size = 10, const std::string& stopReason = "", const std::string& curve = "") {
  const fs::path dir = expDir / "runs" / id;
  fs::create_directories(dir);
  std::string csv = "subject,session,n_truth,n_pred,tp_truth,tp_pred,sensitivity,ppv\n";
  for (size_t i = 0; i < sens.size(); ++i) {
    char line[128];
    std::snprintf(line, sizeof line, "s%02zu,1,10,10,5,5,%.2f,0.5\n", i, sens[i]);
    csv += line;
  }
  test::writeFile(dir / "per_study.csv", csv);
  nlohmann::json j = {{"id", id}, {"arm", arm}, {"train_size", size}, {"repeat", 1}, {"status", "done"},
                      {"per_study_hash", report::perStudyHash(csv)}};
  if (!stopReason.empty())
    j["train_result"] = {{"iterations", 1200}, {"max_iterations", 3000}, {"best_iteration", 800},
                         {"stop_reason", stopReason}, {"val_metric", "f1_anima"}, {"best_val", 0.7}, {"train_seconds", 90.0}};
  if (!curve.empty()) test::writeFile(dir / "curve.csv", curve);
  test::writeFile(dir / "run.json", j.dump(2));
}

fs::path writeExperiment(const test::TempDir& d) {
  const fs::path e = d / "exp";
  fs::create_directories(e);
  nlohmann::json ex = {{"name", "t"},
                       {"task", "FLAIR lesions"},
                       {"arms", {{{"name", "de_novo"}}, {{"name", "fine_tuned"}}}},
                       {"stats", {{"metrics", {"sensitivity"}}, {"reference_arm", "de_novo"}, {"test", "t"}}}};
  test::writeFile(e / "experiment.json", ex.dump(2));
  test::writeFile(e / "plan.json", nlohmann::json({{"runs", {"dn", "ft"}}, {"sources", nlohmann::json::array()}}).dump());
  writeRun(e, "dn", "de_novo", kDeNovo);
  writeRun(e, "ft", "fine_tuned", kFineTuned);
  return e;
}

std::string cell(const CsvTable& t, size_t row, const std::string& col) {
  return t.rows.at(row).at(static_cast<size_t>(t.column(col)));
}

}  // namespace

TEST(ReportFormat, MeanSeAndPValuesAsInTheStudy) {
  EXPECT_EQ(report::meanSe(0.5512, 0.0249, true), "0.55 ± 0.02");
  EXPECT_EQ(report::meanSe(0.5, 0, false), "0.50");
  EXPECT_EQ(report::formatP(0.0004), "p < 0.001");
  EXPECT_EQ(report::formatP(0.437), "p = 0.437");
}

TEST(Report, TablesSummaryAndComparisonsMatchScipy) {
  test::TempDir d;
  const fs::path e = writeExperiment(d);
  const auto res = report::buildReport(e);
  EXPECT_EQ(res.runs, 2);
  EXPECT_TRUE(res.missing.empty());

  // numpy.mean / scipy.stats.sem: fine_tuned 0.577 ± 0.024857, de_novo 0.513 ± 0.020442;
  // scipy.stats.ttest_rel(de_novo, fine_tuned).pvalue = 0.0033602449563296466.
  const CsvTable table = readCsv(e / "table.csv");
  ASSERT_EQ(table.rows.size(), 1u);
  EXPECT_EQ(cell(table, 0, "n train"), "10");
  EXPECT_EQ(cell(table, 0, "de_novo sensitivity"), "0.51 ± 0.02");
  EXPECT_EQ(cell(table, 0, "fine_tuned sensitivity"), "0.58 ± 0.02 (p = 0.003)");

  const CsvTable cmp = readCsv(e / "comparisons.csv");
  bool found = false;
  for (size_t i = 0; i < cmp.rows.size(); ++i) {
    if (cell(cmp, i, "metric") != "sensitivity") continue;
    found = true;
    EXPECT_EQ(cell(cmp, i, "arm_a"), "de_novo");
    EXPECT_EQ(cell(cmp, i, "arm_b"), "fine_tuned");
    EXPECT_EQ(cell(cmp, i, "n_pairs"), "10");
    EXPECT_NEAR(std::stod(cell(cmp, i, "t_p")), 0.0033602449563296466, 1e-8);
    EXPECT_NEAR(std::stod(cell(cmp, i, "mean_diff")), -0.064, 1e-9);  // mean(arm_a - arm_b)
  }
  EXPECT_TRUE(found);

  const CsvTable sum = readCsv(e / "summary.csv");
  found = false;
  for (size_t i = 0; i < sum.rows.size(); ++i)
    if (cell(sum, i, "arm") == "fine_tuned" && cell(sum, i, "metric") == "sensitivity" && cell(sum, i, "repeat") == "all") {
      found = true;
      EXPECT_NEAR(std::stod(cell(sum, i, "mean")), 0.577, 1e-9);
      EXPECT_NEAR(std::stod(cell(sum, i, "se")), 0.024857370916669543, 1e-6);
      EXPECT_EQ(cell(sum, i, "n"), "10");
    }
  EXPECT_TRUE(found);
  EXPECT_NE(test::readFile(e / "table.tex").find("0.58 $\\pm$ 0.02 (p = 0.003)"), std::string::npos);
  EXPECT_NE(test::readFile(e / "report.md").find("runs: 2 (the current plan)"), std::string::npos);
}

TEST(Report, AnAlteredOrMissingPlannedRunIsRefusedAndNothingIsWritten) {
  test::TempDir d;
  const fs::path e = writeExperiment(d);
  test::writeFile(e / "runs" / "ft" / "per_study.csv", "subject,sensitivity\ns00,1\n");  // altered after the run
  try {
    report::buildReport(e);
    FAIL() << "altered results accepted";
  } catch (const report::IncompleteError& ex) {
    EXPECT_NE(std::string(ex.what()).find("runs/ft ("), std::string::npos) << ex.what();
    EXPECT_NE(std::string(ex.what()).find("does not match the hash in run.json"), std::string::npos) << ex.what();
  }
  EXPECT_FALSE(fs::exists(e / "table.md"));
  fs::remove_all(e / "runs" / "ft");
  EXPECT_THROW(report::buildReport(e), report::IncompleteError);
  EXPECT_FALSE(fs::exists(e / "summary.csv"));
}

TEST(Report, CellsShowWhatTheyRestOnFlagsNAndTrainingBudget) {
  test::TempDir d;
  const fs::path e = writeExperiment(d);
  // Size 10 as before, but the fine-tuned run hit the cap and the de-novo run never learned;
  // size 5 rests on 2 test studies.
  writeRun(e, "dn", "de_novo", kDeNovo, 10, "never_learned", "iteration,split,metric,value\n0,validation,f1_anima,0.1\n");
  writeRun(e, "ft", "fine_tuned", kFineTuned, 10, "cap",
           "iteration,split,metric,value\n0,validation,f1_anima,0.2\n200,validation,f1_anima,0.5\n200,test,f1,0.4\n");
  writeRun(e, "dn5", "de_novo", {0.40, 0.60}, 5, "plateau");
  writeRun(e, "ft5", "fine_tuned", {0.50, 0.70}, 5, "plateau");
  test::writeFile(e / "plan.json",
                  nlohmann::json({{"runs", {"dn", "ft", "dn5", "ft5"}}, {"sources", nlohmann::json::array()}}).dump());
  report::buildReport(e);
  const CsvTable table = readCsv(e / "table.csv");
  ASSERT_EQ(table.rows.size(), 2u);
  // n < 3: the mean alone (no SE, no p); the row's n in its own column.
  EXPECT_EQ(cell(table, 0, "n train"), "5");
  EXPECT_EQ(cell(table, 0, "n test"), "2");
  EXPECT_EQ(cell(table, 0, "de_novo sensitivity"), "0.50");
  EXPECT_EQ(cell(table, 0, "fine_tuned sensitivity"), "0.60");
  // Flags: † reached the cap, ‡ never learned (values as in TablesSummaryAndComparisonsMatchScipy).
  EXPECT_EQ(cell(table, 1, "n test"), "10");
  EXPECT_EQ(cell(table, 1, "de_novo sensitivity"), "0.51 ± 0.02 ‡");
  EXPECT_EQ(cell(table, 1, "fine_tuned sensitivity"), "0.58 ± 0.02 (p = 0.003) †");
  const std::string md = test::readFile(e / "table.md");
  EXPECT_NE(md.find("† at least one run of the cell reached the iteration cap"), std::string::npos) << md;
  EXPECT_NE(md.find("‡ at least one run of the cell never rose above its starting validation level"), std::string::npos);
  EXPECT_NE(md.find("fewer than 3 studies show their n and no SE or p"), std::string::npos);
  EXPECT_NE(test::readFile(e / "table.tex").find("(p = 0.003) $^\\dagger$"), std::string::npos);

  // budget.csv: every evaluation with the run's arm, size and repeat; training.csv: one row per run.
  const CsvTable budget = readCsv(e / "budget.csv");
  ASSERT_EQ(budget.rows.size(), 4u);
  EXPECT_EQ(budget.header, (std::vector<std::string>{"experiment", "arm", "train_size", "repeat", "iteration", "split",
                                                     "metric", "value"}));
  EXPECT_EQ(budget.rows[1], (std::vector<std::string>{"t", "fine_tuned", "10", "1", "0", "validation", "f1_anima", "0.2"}));
  EXPECT_EQ(budget.rows[3], (std::vector<std::string>{"t", "fine_tuned", "10", "1", "200", "test", "f1", "0.4"}));
  const CsvTable training = readCsv(e / "training.csv");
  ASSERT_EQ(training.rows.size(), 4u);
  EXPECT_EQ(cell(training, 0, "stop_reason"), "never_learned");
  EXPECT_EQ(cell(training, 0, "best_iteration"), "800");
  const std::string report = test::readFile(e / "report.md");
  EXPECT_NE(report.find("| 10 | fine_tuned | 1 | 1 cap | 800 | 1200 | 1.5 |"), std::string::npos) << report;
  EXPECT_NE(report.find("| 5 | de_novo | 1 | 1 plateau |"), std::string::npos);
}
