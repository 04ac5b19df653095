// The report from a results folder written by hand: tables, summary and
// comparisons against SciPy 1.10.1 (Debian python3-scipy), and the refusal of
// incomplete results.
#include <gtest/gtest.h>
#include <cstdlib>

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
  // table.md: laid out like the study.
  const std::string md = test::readFile(e / "table.md");
  EXPECT_NE(md.find("| 10 | 10 | 0.51 ± 0.02 | 0.58 ± 0.02 (p = 0.003) |"), std::string::npos) << md;
  // table.csv: one numeric row per cell. numpy.std(ddof=1) 0.07860590874030329; scipy.stats.t.interval(0.95, 9,
  // loc=0.577, scale=sem) = (0.5207687203339465, 0.6332312796660536); Holm over a family of one = p.
  const CsvTable table = readCsv(e / "table.csv");
  ASSERT_EQ(table.rows.size(), 2u);
  EXPECT_EQ(table.header, (std::vector<std::string>{"task", "train_size", "arm", "metric", "n", "mean", "se", "sd",
                                                    "ci_low", "ci_high", "ci_level", "ci_method", "n_runs",
                                                    "compared_to", "test", "p",
                                                    "p_holm", "flags"}));
  const size_t ft = cell(table, 0, "arm") == "fine_tuned" ? 0 : 1;
  EXPECT_EQ(cell(table, ft, "train_size"), "10");
  EXPECT_EQ(cell(table, ft, "n"), "10");
  EXPECT_NEAR(std::stod(cell(table, ft, "mean")), 0.577, 1e-9);
  EXPECT_NEAR(std::stod(cell(table, ft, "se")), 0.024857370916669543, 1e-6);
  EXPECT_NEAR(std::stod(cell(table, ft, "sd")), 0.07860590874030329, 1e-6);
  EXPECT_NEAR(std::stod(cell(table, ft, "ci_low")), 0.5207687203339465, 1e-6);
  EXPECT_NEAR(std::stod(cell(table, ft, "ci_high")), 0.6332312796660536, 1e-6);
  EXPECT_EQ(cell(table, ft, "compared_to"), "de_novo");
  EXPECT_EQ(cell(table, ft, "test"), "t");
  EXPECT_NEAR(std::stod(cell(table, ft, "p")), 0.0033602449563296466, 1e-8);
  EXPECT_NEAR(std::stod(cell(table, ft, "p_holm")), 0.0033602449563296466, 1e-8);
  EXPECT_EQ(cell(table, 1 - ft, "p"), "");  // the reference arm

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
    // scipy.stats.ttest_rel(de_novo, fine_tuned): statistic -3.9489123349906894, df 9;
    // scipy.stats.wilcoxon(de_novo, fine_tuned).statistic 2.5 (W+ 2.5, W- 52.5): rank-biserial
    // (W+ - W-) / (W+ + W-) = -0.9090909; Cohen's d_z = mean(d) / sd(d) = -1.248755725890441.
    EXPECT_NEAR(std::stod(cell(cmp, i, "t")), -3.9489123349906894, 1e-8);
    EXPECT_EQ(cell(cmp, i, "df"), "9");
    EXPECT_NEAR(std::stod(cell(cmp, i, "wilcoxon_statistic")), 2.5, 1e-12);
    EXPECT_NEAR(std::stod(cell(cmp, i, "rank_biserial")), -0.9090909090909091, 1e-9);
    EXPECT_NEAR(std::stod(cell(cmp, i, "cohen_dz")), -1.248755725890441, 1e-6);
    EXPECT_EQ(cell(cmp, i, "ci_level"), "0.95");
  }
  EXPECT_TRUE(found);

  const CsvTable sum = readCsv(e / "summary.csv");
  found = false;
  for (size_t i = 0; i < sum.rows.size(); ++i)
    if (cell(sum, i, "arm") == "fine_tuned" && cell(sum, i, "metric") == "sensitivity" && cell(sum, i, "repeat") == "all") {
      found = true;
      EXPECT_NEAR(std::stod(cell(sum, i, "mean")), 0.577, 1e-9);
      EXPECT_NEAR(std::stod(cell(sum, i, "se")), 0.024857370916669543, 1e-6);
      EXPECT_NEAR(std::stod(cell(sum, i, "sd")), 0.07860590874030329, 1e-6);
      EXPECT_EQ(cell(sum, i, "n"), "10");
    }
  EXPECT_TRUE(found);
  // table.tex: a booktabs float with caption, label, metric groups over the arms and escaped names.
  const std::string tex = test::readFile(e / "table.tex");
  for (const char* s : {"\\begin{table}", "\\caption{FLAIR lesions. Mean $\\pm$ SE over test studies", "\\label{tab:t}",
                        "\\toprule", "\\multicolumn{2}{c}{sensitivity}", "\\cmidrule(lr){3-4}",
                        "$n$ train & $n$ test & de\\_novo & fine\\_tuned \\\\", "\\midrule",
                        "10 & 10 & 0.51 $\\pm$ 0.02 & 0.58 $\\pm$ 0.02 (p = 0.003) \\\\", "\\bottomrule", "\\end{table}"})
    EXPECT_NE(tex.find(s), std::string::npos) << s << "\n" << tex;
  const std::string report = test::readFile(e / "report.md");
  EXPECT_NE(report.find("runs: 2 (the current plan)"), std::string::npos);
  for (const char* s : {"## Design", "### Choices the study leaves open, as set here", "| paired test | paired t-test",
                        "## Results", "## Caveats"})
    EXPECT_NE(report.find(s), std::string::npos) << s;
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
  // n < 3: the mean alone (no SE, no p); the row's n in its own column. Flags: † reached the cap,
  // ‡ never learned (values as in TablesSummaryAndComparisonsMatchScipy).
  const std::string md = test::readFile(e / "table.md");
  EXPECT_NE(md.find("| 5 | 2 | 0.50 | 0.60 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| 10 | 10 | 0.51 ± 0.02 ‡ | 0.58 ± 0.02 (p = 0.003) † |"), std::string::npos) << md;
  const CsvTable table = readCsv(e / "table.csv");
  ASSERT_EQ(table.rows.size(), 4u);
  for (size_t i = 0; i < table.rows.size(); ++i) {
    if (cell(table, i, "train_size") != "10") continue;
    EXPECT_EQ(cell(table, i, "flags"), cell(table, i, "arm") == "de_novo" ? "never_learned" : "cap");
  }
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
  // A cap or never-learned run in either cell: no effect is read from the comparison.
  const CsvTable cmp = readCsv(e / "comparisons.csv");
  int atTen = 0;
  for (size_t i = 0; i < cmp.rows.size(); ++i)
    if (cell(cmp, i, "train_size") == "10") {
      EXPECT_EQ(cell(cmp, i, "verdict"), "not converged") << cell(cmp, i, "metric");
      ++atTen;
    }
  EXPECT_GT(atTen, 0);
  EXPECT_NE(report.find("### Verdicts"), std::string::npos);
}

namespace {

// A run with three test studies, its threshold sweep (froc.csv) and, optionally, its lesions.
void writeSweepRun(const fs::path& expDir, const std::string& id, const std::string& arm, const std::string& perStudy,
                   const std::string& froc, const std::string& lesions) {
  const fs::path dir = expDir / "runs" / id;
  fs::create_directories(dir);
  test::writeFile(dir / "per_study.csv", perStudy);
  test::writeFile(dir / "froc.csv", froc);
  if (!lesions.empty()) test::writeFile(dir / "lesions.csv", lesions);
  nlohmann::json j = {{"id", id}, {"arm", arm}, {"train_size", 10}, {"repeat", 1}, {"status", "done"},
                      {"per_study_hash", report::perStudyHash(perStudy)}, {"infer", {{"threshold", 0.5}}}};
  test::writeFile(dir / "run.json", j.dump(2));
}

const char* kPerStudyHeader =
    "subject,session,n_truth,n_pred,tp_truth,tp_pred,sensitivity,ppv,truth_volume_mm3,pred_volume_mm3\n";
const char* kFrocHeader = "subject,session,threshold,n_truth,tp_truth,n_pred,tp_pred\n";

}  // namespace

// Every number below is counted by hand from the files the test writes.
TEST(Report, FrocAveragePrecisionPooledNumbersAndStrataMatchHandCounts) {
  test::TempDir d;
  const fs::path e = writeExperiment(d);
  // fine_tuned at its threshold 0.5: s1 4 true (2 found), 3 predicted (2 true); s2 2 true (2), 2 predicted (2);
  // s3 no true lesion, 1 false positive.
  writeSweepRun(e, "ft", "fine_tuned",
                std::string(kPerStudyHeader) + "s1,1,4,3,2,2,0.5,0.666666667,400,300\n"
                                                "s2,1,2,2,2,2,1,1,100,150\ns3,1,0,1,0,0,,0,0,50\n",
                std::string(kFrocHeader) + "s1,1,0.25,4,3,6,3\ns1,1,0.5,4,2,3,2\ns1,1,0.75,4,1,1,1\n"
                                           "s2,1,0.25,2,2,4,2\ns2,1,0.5,2,2,2,2\ns2,1,0.75,2,0,0,0\n"
                                           "s3,1,0.25,0,0,2,0\ns3,1,0.5,0,0,1,0\ns3,1,0.75,0,0,0,0\n",
                "subject,session,side,voxels,volume_mm3,detected,region\n"
                "s1,1,truth,5,5,0,periventricular\ns1,1,truth,20,20,1,periventricular\n"
                "s1,1,truth,50,50,1,deep_white_matter\ns1,1,truth,2000,2000,0,deep_white_matter\n"
                "s2,1,truth,12,12,1,periventricular\ns2,1,truth,40,40,1,juxtacortical_cortical\n"
                "s1,1,pred,20,20,1,periventricular\ns1,1,pred,60,60,1,deep_white_matter\ns1,1,pred,8,8,0,other\n"
                "s2,1,pred,15,15,1,periventricular\ns2,1,pred,45,45,1,juxtacortical_cortical\n"
                "s3,1,pred,25,25,0,other\n");
  writeSweepRun(e, "dn", "de_novo",
                std::string(kPerStudyHeader) + "s1,1,4,2,1,1,0.25,0.5,400,100\ns2,1,2,1,1,1,0.5,1,100,50\n"
                                                "s3,1,0,0,0,0,,,0,0\n",
                std::string(kFrocHeader) + "s1,1,0.25,4,2,4,2\ns1,1,0.5,4,1,2,1\ns1,1,0.75,4,0,0,0\n"
                                           "s2,1,0.25,2,2,3,2\ns2,1,0.5,2,1,1,1\ns2,1,0.75,2,1,1,1\n"
                                           "s3,1,0.25,0,0,1,0\ns3,1,0.5,0,0,0,0\ns3,1,0.75,0,0,0,0\n",
                "");
  report::buildReport(e);

  // froc.csv: mean over studies of per-study sensitivity (studies with true lesions), PPV (studies with
  // predicted lesions) and false positives; the configured point is the table's.
  const CsvTable froc = readCsv(e / "froc.csv");
  ASSERT_EQ(froc.rows.size(), 6u);
  std::map<std::string, size_t> at;
  for (size_t i = 0; i < froc.rows.size(); ++i) at[cell(froc, i, "arm") + "@" + cell(froc, i, "threshold")] = i;
  const size_t c = at.at("fine_tuned@0.5");
  EXPECT_EQ(cell(froc, c, "configured"), "1");
  EXPECT_EQ(cell(froc, at.at("fine_tuned@0.25"), "configured"), "0");
  EXPECT_NEAR(std::stod(cell(froc, c, "sensitivity")), 0.75, 1e-9);           // (0.5 + 1) / 2
  EXPECT_NEAR(std::stod(cell(froc, c, "ppv")), (2.0 / 3 + 1 + 0) / 3, 1e-9);   // 0.5556
  EXPECT_NEAR(std::stod(cell(froc, c, "fp_per_study")), 2.0 / 3, 1e-9);        // (1 + 0 + 1) / 3
  EXPECT_NEAR(std::stod(cell(froc, c, "sensitivity_pooled")), 4.0 / 6, 1e-9);  // (2 + 2) / (4 + 2)
  EXPECT_NEAR(std::stod(cell(froc, at.at("fine_tuned@0.25"), "fp_per_study")), 7.0 / 3, 1e-9);
  const CsvTable table = readCsv(e / "table.csv");
  for (size_t i = 0; i < table.rows.size(); ++i)
    if (cell(table, i, "arm") == "fine_tuned" && cell(table, i, "metric") == "sensitivity")
      EXPECT_EQ(cell(table, i, "mean"), cell(froc, c, "sensitivity"));

  // lesion_level.csv: pooled counts; lesion-wise AP per study (s1: 0.25*1 + 0.25*2/3 + 0.25*1/2 = 0.541667;
  // s2: 1; s3 undefined) -> 0.770833; FROC area up to 1 FP/study: best sensitivity 0.125 on [0, 2/3),
  // 0.75 on [2/3, 1) -> 0.333333; volumes (400, 100, 0) against (300, 150, 50): scipy.stats.pearsonr
  // 0.9862413826124554, differences (-100, 50, 50): bias 0, sd 86.60254, limits -+169.74098.
  const CsvTable ll = readCsv(e / "lesion_level.csv");
  ASSERT_EQ(ll.rows.size(), 2u);
  const size_t f = cell(ll, 0, "arm") == "fine_tuned" ? 0 : 1;
  EXPECT_EQ(cell(ll, f, "n_truth_lesions"), "6");
  EXPECT_EQ(cell(ll, f, "tp_truth"), "4");
  EXPECT_EQ(cell(ll, f, "n_pred_lesions"), "6");
  EXPECT_NEAR(std::stod(cell(ll, f, "ppv_pooled")), 4.0 / 6, 1e-9);
  EXPECT_NEAR(std::stod(cell(ll, f, "lesion_ap_mean")), (0.25 + 0.25 * 2 / 3 + 0.125 + 1) / 2, 1e-6);
  EXPECT_NEAR(std::stod(cell(ll, f, "froc_area")), 0.125 * 2 / 3 + 0.75 / 3, 1e-6);
  EXPECT_NEAR(std::stod(cell(ll, f, "volume_pearson_r")), 0.9862413826124554, 1e-6);
  EXPECT_NEAR(std::stod(cell(ll, f, "volume_bias_mm3")), 0.0, 1e-9);
  EXPECT_NEAR(std::stod(cell(ll, f, "volume_loa_low_mm3")), -169.74097914174996, 1e-3);

  // lesion_ap is compared like every metric: de_novo AP s1 0.25, s2 0.5 + 0.5 * 2/3; scipy.stats.ttest_rel(
  // [0.25, 0.8333333], [0.5416667, 1.0]) -> statistic -3.666666666666666, df 1.
  const CsvTable cmp = readCsv(e / "comparisons.csv");
  bool found = false;
  for (size_t i = 0; i < cmp.rows.size(); ++i)
    if (cell(cmp, i, "metric") == "lesion_ap") {
      found = true;
      EXPECT_EQ(cell(cmp, i, "n_pairs"), "2");
      EXPECT_NEAR(std::stod(cell(cmp, i, "t")), -3.666666666666666, 1e-6);
    }
  EXPECT_TRUE(found);

  // strata.csv: true lesions by volume (<10: 0/1, 10-30: 2/2, 30-100: 2/2, >=1000: 0/1), predicted lesions
  // by volume (<10: 0/1, 10-30: 2/3), and by region (periventricular 2/3, deep white matter 1/2).
  const CsvTable st = readCsv(e / "strata.csv");
  std::map<std::string, std::vector<std::string>> s;
  for (const auto& r : st.rows) s[r[3] + ":" + r[4]] = r;
  auto col = [&](const std::string& k, const std::string& name) { return s.at(k).at(static_cast<size_t>(st.column(name))); };
  EXPECT_EQ(col("volume_mm3:<10", "n_truth_lesions"), "1");
  EXPECT_EQ(col("volume_mm3:<10", "tp_truth"), "0");
  EXPECT_EQ(col("volume_mm3:10-30", "sensitivity"), "1");
  EXPECT_EQ(col("volume_mm3:>=1000", "sensitivity"), "0");
  EXPECT_EQ(col("volume_mm3:10-30", "n_pred_lesions"), "3");
  EXPECT_NEAR(std::stod(col("volume_mm3:10-30", "ppv")), 2.0 / 3, 1e-6);
  EXPECT_NEAR(std::stod(col("region:periventricular", "sensitivity")), 2.0 / 3, 1e-6);
  EXPECT_EQ(col("region:deep_white_matter", "sensitivity"), "0.5");
  const std::string report = test::readFile(e / "report.md");
  EXPECT_NE(report.find("| 10 | fine_tuned | 3 | 0.67 (4/6) | 0.67 (4/6) | 0.77 | 0.33 | 0.99 | 0 [-170, 170] |"),
            std::string::npos) << report;
  EXPECT_NE(report.find("| 10 | fine_tuned | 0.00 (0/1) | 1.00 (2/2) | 1.00 (2/2) | 0.00 (0/1) |"), std::string::npos);
}

TEST(Report, ConfidenceIntervalsInsteadOfStandardErrors) {
  test::TempDir d;
  const fs::path e = writeExperiment(d);
  auto ex = nlohmann::json::parse(test::readFile(e / "experiment.json"));
  ex["stats"]["interval"] = "ci";
  test::writeFile(e / "experiment.json", ex.dump(2));
  report::buildReport(e);
  // scipy.stats.t.interval(0.95, 9, ...): de_novo (0.46676, 0.55924), fine_tuned (0.52077, 0.63323).
  const std::string md = test::readFile(e / "table.md");
  EXPECT_NE(md.find("| 10 | 10 | 0.51 [0.47, 0.56] | 0.58 [0.52, 0.63] (p = 0.003) |"), std::string::npos) << md;
  EXPECT_NE(md.find("Mean [95% CI: two-level bootstrap over runs and studies, t-based for one run]"), std::string::npos);
  EXPECT_NE(test::readFile(e / "table.tex").find("0.58 [0.52, 0.63] (p = 0.003)"), std::string::npos);
}

// table.tex compiles in a minimal document. LaTeX is not a dependency of the project: without pdflatex
// the test is skipped with a message (apt-get install texlive-latex-recommended to run it).
TEST(Report, TableTexCompilesWithPdflatex) {
  if (std::system("command -v pdflatex >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "pdflatex not installed (texlive-latex-recommended): table.tex not compiled";
  test::TempDir d;
  const fs::path e = writeExperiment(d);
  // Names with every LaTeX special character, and the flags and n < 3 cells.
  auto ex = nlohmann::json::parse(test::readFile(e / "experiment.json"));
  ex["task"] = "FLAIR lesions & 100% of {specials}: #_$^~\\";
  test::writeFile(e / "experiment.json", ex.dump(2));
  writeRun(e, "dn", "de_novo", kDeNovo, 10, "never_learned");
  writeRun(e, "ft", "fine_tuned", kFineTuned, 10, "cap");
  report::buildReport(e);
  test::writeFile(d / "doc.tex", "\\documentclass{article}\n\\usepackage[utf8]{inputenc}\n\\usepackage{booktabs}\n"
                                 "\\begin{document}\n\\input{" + (e / "table.tex").string() + "}\n\\end{document}\n");
  const std::string cmd = "cd '" + d.path().string() + "' && pdflatex -interaction=nonstopmode -halt-on-error doc.tex > log.txt 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << test::readFile(d / "log.txt");
  EXPECT_TRUE(fs::exists(d / "doc.pdf"));
}
