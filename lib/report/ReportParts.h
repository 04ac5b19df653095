// The report's parts (internal to lib/report): loading the runs, the summary,
// the paired comparisons, the tables and the figure. Report.cpp puts them
// together in buildReport().
#pragma once

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "lib/report/Report.h"
#include "lib/stats/Paired.h"
#include "lib/stats/TwoLevel.h"

namespace mst::report {

// One study of one run.
struct Row {
  std::string run, arm, subject, session;
  int size = 0, repeat = 0;
  std::map<std::string, std::optional<double>> m;
};

// What the report needs from experiment.json.
struct ExperimentInfo {
  std::string name, task, description, refArm, testName;
  std::vector<std::string> metricsShown, arms;
  std::map<std::string, std::string> refOf;  // arm -> the arm it is compared against (itself: none)
  std::map<std::string, std::string> initOf; // arm -> "scratch" or "source"
  stats::PairedOptions paired;
  nlohmann::json resolved;                   // experiment.json as written by the run (the design section)
  std::string interval = "se";               // tables: "se" (mean +- SE) or "ci" (mean [CI])
  std::vector<double> volumeBins{10, 30, 100, 300, 1000};
  double frocMaxFp = 1.0;
  double planHalfWidth = 0.05;               // report.md's planning table
  stats::TwoLevelOptions twoLevel() const { return {paired.bootstrapResamples, paired.ciLevel, paired.seed}; }
};

// Mean, SD, SE, CI (at the experiment's ci_level) and count of one (arm, size, metric) over test
// studies (per-study values averaged over repeats). The CI is the two-level bootstrap over runs and
// studies when the cell has >= 2 runs, else the t-based CI over studies (ciMethod says which).
struct Cell {
  double mean = NAN, se = NAN, sd = NAN, ciLow = NAN, ciHigh = NAN;
  int64_t n = 0, runs = 0;
  std::string ciMethod;
};
using Pooled = std::map<std::tuple<std::string, int, std::string>, Cell>;

// One paired comparison: reference arm against arm at one size and metric.
struct Comparison {
  std::string ref, arm, metric;
  int size = 0;
  stats::PairedResult r;      // over test studies (repeats averaged): t, Wilcoxon, effect sizes
  stats::TwoLevelDiff tl;     // over runs and test studies: mean_diff, CI, p (the default)
  double holmT = NAN, holmW = NAN, holmTl = NAN;
  double p(const std::string& test) const;       // the p of "two_level", "wilcoxon" or "t"
  double pHolm(const std::string& test) const;
};
// "two-level bootstrap over runs and test studies", "Wilcoxon signed-rank over test studies", ...
std::string testLabel(const std::string& test);

// One run folder and what its run.json says of it (read once per report).
struct RunMeta {
  std::filesystem::path dir;
  std::string id, arm;
  int size = 0, repeat = 0;
  double threshold = 0.5;  // the run's [infer] threshold (its masks)
};

// Load.cpp
std::vector<RunMeta> runMetas(const std::vector<std::filesystem::path>& runDirs);  // from each run.json
nlohmann::json parseJsonFile(const std::filesystem::path& file);  // InputError naming the file
ExperimentInfo readExperimentInfo(const std::filesystem::path& expDir);
const std::vector<std::string>& allMetricColumns();
std::vector<Row> loadRuns(const std::vector<RunMeta>& runs, int* nRuns);
// Exactly the planned run folders, each complete; the missing ones go to res.missing, stale ones are counted.
std::vector<std::filesystem::path> plannedRunDirs(const std::filesystem::path& expDir, const std::string& kind,
                                                  const std::vector<std::string>& ids, bool havePlan, ReportResult& res);

// Summary.cpp
std::string fmt(double v);  // "%.6g", empty when not finite
// Fixed decimals for report.md ("0.42"; with sign "+0.42"), "n/a" when not finite.
std::string decimals(double v, int places = 2, bool sign = false);
std::map<std::string, double> perStudyMeans(const std::vector<Row>& rows, const std::string& arm, int size,
                                            const std::string& metric);  // study -> mean over repeats
// Study keys ("subject/session") of the cells (arm, size), sorted; and one cell's values [run][study]
// over them (runs in id order, NaN where a run lacks the study or the metric).
std::vector<std::string> studyKeys(const std::vector<Row>& rows, const std::set<std::pair<std::string, int>>& cells);
stats::RunStudy runStudy(const std::vector<Row>& rows, const std::string& arm, int size, const std::string& metric,
                         const std::vector<std::string>& studies);
void writePerStudy(const std::filesystem::path& expDir, const std::string& task, const std::vector<Row>& rows);
Pooled writeSummary(const std::filesystem::path& expDir, const ExperimentInfo& info, const std::vector<Row>& rows,
                    const std::set<int>& sizes);

// Comparisons.cpp: Holm over the family (all sizes x arms, per metric and test).
std::vector<Comparison> compareArms(const ExperimentInfo& info, const std::vector<Row>& rows, const std::set<int>& sizes);
// How the runs of a cell (arm, size) stopped (Budget.cpp: cellFlags).
struct CellFlag {
  bool cap = false, neverLearned = false, fixedBudget = false;
};
using CellFlags = std::map<std::pair<std::string, int>, CellFlag>;  // (arm, size)
// What a comparison shows at its CI level: "<arm_a> higher" or "<arm_b> higher" (the CI of
// mean_diff = a - b excludes 0), "no difference" (it includes 0), "not converged" (a run of either
// cell reached its cap while improving, or never learned: no effect may be read) or "undefined".
std::string verdict(const Comparison& c, const CellFlags& flags);
// ci_low/ci_high: percentile bootstrap CI of mean_diff at ci_level; t, df: paired t; wilcoxon_statistic: min(W+, W-);
// half_width: (ci_high - ci_low) / 2; verdict: verdict().
void writeComparisons(const std::filesystem::path& expDir, const std::string& task, const std::vector<Comparison>& cmps,
                      double ciLevel, const CellFlags& flags);
// report.md's verdict table: per size and metric, the difference with its CI, the half-width against
// info.planHalfWidth ([stats] plan_half_width) and the verdict.
std::string verdictMarkdown(const ExperimentInfo& info, const std::vector<Comparison>& cmps, const CellFlags& flags);

// Efficiency.cpp: efficiency.csv (the de-novo-equivalent training size of each arm's value) and
// report.md's sentences; Planning in report.md: variance components and runs/studies for a CI width.
struct EfficiencyRow {
  std::string arm, ref, metric, method;
  int size = 0;
  double value = NAN, equivalent = NAN, low = NAN, high = NAN;
  int censored = 0;
};
std::vector<EfficiencyRow> writeEfficiency(const std::filesystem::path& expDir, const ExperimentInfo& info,
                                           const std::vector<Row>& rows);
std::string efficiencyMarkdown(const std::vector<EfficiencyRow>& eff);
std::string writePlanning(const std::filesystem::path& expDir, const ExperimentInfo& info,
                          const std::vector<Comparison>& cmps);  // planning.csv; its markdown

// Budget.cpp: how each run trained (run.json) and its evaluations (curve.csv).
struct RunTraining {
  std::filesystem::path dir;
  std::string id, kind, arm, stopReason = "budget", valMetric = "f1";
  int size = 0, repeat = 0;                 // sources: size = number of training studies
  int64_t iterations = 0, maxIterations = 0, bestIteration = 0;
  double trainSeconds = 0, bestVal = NAN;
};
std::vector<RunTraining> loadTraining(const std::vector<std::filesystem::path>& runDirs);
CellFlags cellFlags(const std::vector<RunTraining>& runs);
// budget.csv (every evaluation of every run and source) and training.csv (one row per run).
void writeBudget(const std::filesystem::path& expDir, const std::string& experiment, const std::vector<RunTraining>& runs);
// The training table of report.md: per size and arm, stop reasons, iterations to best, compute time.
std::string trainingMarkdown(const ExperimentInfo& info, const std::vector<RunTraining>& runs,
                             const std::vector<RunTraining>& sources);

// Tables.cpp
void writeTables(const std::filesystem::path& expDir, const ExperimentInfo& info, const std::set<int>& sizes,
                 const Pooled& pooled, const std::vector<Comparison>& cmps, const CellFlags& flags);
// sources.csv; returns the markdown lines for report.md.
std::string writeSources(const std::filesystem::path& expDir, const std::string& task,
                         const std::vector<std::filesystem::path>& sourceDirs);

// FpRegions.cpp: fp_regions.csv of the experiment from each run's; the markdown table for report.md
// ("" and no file when no run has one: cohorts without region maps).
std::string writeFpRegions(const std::filesystem::path& expDir, const std::string& task, const std::vector<RunMeta>& runs);

// LesionLevel.cpp: the threshold sweep and lesion-level numbers.
struct SweepPoint {
  double threshold = 0;
  int64_t nTruth = 0, tpTruth = 0, nPred = 0, tpPred = 0;
};
struct RunSweep {
  RunMeta meta;
  std::map<std::string, std::vector<SweepPoint>> studies;  // "subject/session" -> points
};
// Lesion-wise average precision of one study: thresholds from high to low, precision tp_pred/n_pred
// times each rise of recall tp_truth/n_truth (recall made non-decreasing; thresholds without predicted
// lesions add nothing). NaN without true lesions.
double averagePrecision(const std::vector<SweepPoint>& sweep);
std::vector<RunSweep> loadSweeps(const std::vector<RunMeta>& runs);  // runs with froc.csv
void addSweepMetrics(std::vector<Row>& rows, const std::vector<RunSweep>& sweeps);   // rows' "lesion_ap"
// froc.csv, lesion_level.csv, strata.csv; returns the markdown of report.md's lesion-level section.
std::string writeLesionLevel(const std::filesystem::path& expDir, const ExperimentInfo& info, const std::vector<Row>& rows,
                             const std::set<int>& sizes, const std::vector<RunSweep>& sweeps,
                             const std::vector<RunMeta>& runs);

// Design.cpp: report.md's design section and the settings of every choice the study leaves open.
std::string designMarkdown(const nlohmann::json& experimentJson);

// Figures.cpp: figure.png/pdf through analysis/plot_results.py; false when it could not be made.
bool drawFigure(const std::filesystem::path& expDir);

}  // namespace mst::report
