// efficiency.csv (how many studies transfer saves) and report.md's planning section.
#include <algorithm>
#include <cstdio>

#include "lib/core/Csv.h"
#include "lib/core/Fs.h"
#include "lib/report/ReportParts.h"

namespace mst::report {

namespace fs = std::filesystem;

namespace {

const char* censoredName(int c) { return c < 0 ? "below" : c > 0 ? "above" : "none"; }

std::string number(double v, const char* f = "%.0f") {
  if (!std::isfinite(v)) return "n/a";
  char b[32];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

std::vector<int> sizesOf(const std::vector<Row>& rows, const std::string& arm) {
  std::set<int> s;
  for (const auto& r : rows)
    if (r.arm == arm) s.insert(r.size);
  return {s.begin(), s.end()};
}

// Rows of one arm against its reference on one metric: the reference's curve and the arm's values
// resampled together (one study draw per replicate for every cell).
std::vector<EfficiencyRow> armEfficiency(const ExperimentInfo& info, const std::vector<Row>& rows,
                                         const std::string& arm, const std::string& ref, const std::string& metric) {
  const std::vector<int> refSizes = sizesOf(rows, ref), armSizes = sizesOf(rows, arm);
  if (refSizes.size() < 2 || armSizes.empty()) return {};
  std::set<std::pair<std::string, int>> cellSet;
  for (int s : refSizes) cellSet.insert({ref, s});
  for (int s : armSizes) cellSet.insert({arm, s});
  const auto studies = studyKeys(rows, cellSet);
  std::vector<stats::RunStudy> cells;
  for (int s : refSizes) cells.push_back(runStudy(rows, ref, s, metric, studies));
  for (int s : armSizes) cells.push_back(runStudy(rows, arm, s, metric, studies));
  const size_t nr = refSizes.size();
  std::vector<double> curve;
  for (size_t i = 0; i < nr; ++i) curve.push_back(stats::cellMean(cells[i]));
  const auto reps = stats::jointReplicates(cells, info.twoLevel());
  const double level = info.paired.ciLevel;
  std::vector<EfficiencyRow> out;
  for (size_t j = 0; j < armSizes.size(); ++j) {
    EfficiencyRow e{arm, ref, metric, "", armSizes[j], stats::cellMean(cells[nr + j])};
    const auto eq = stats::deNovoEquivalent(refSizes, curve, e.value);
    e.equivalent = eq.n;
    e.censored = eq.censored;
    std::vector<double> ns;
    for (const auto& r : reps) {
      const std::vector<double> c(r.begin(), r.begin() + static_cast<long>(nr));
      const auto q = stats::deNovoEquivalent(refSizes, c, r[nr + j]);
      if (std::isfinite(q.n)) ns.push_back(q.n);
    }
    std::sort(ns.begin(), ns.end());
    e.low = stats::sortedQuantile(ns, (1 - level) / 2);
    e.high = stats::sortedQuantile(ns, 1 - (1 - level) / 2);
    e.method = "reference curve interpolated linearly in log n; CI: two-level bootstrap, percentile, " +
               std::to_string(reps.size()) + " resamples, censored replicates at the swept range's ends";
    out.push_back(e);
  }
  return out;
}

}  // namespace

std::vector<EfficiencyRow> writeEfficiency(const fs::path& expDir, const ExperimentInfo& info, const std::vector<Row>& rows) {
  // Each compared pair once: the fine-tuned (init = "source") arm placed on the de-novo arm's curve;
  // two arms of one kind (an ablation against its compare_to): the arm on its reference's curve.
  std::set<std::pair<std::string, std::string>> pairs;
  for (const auto& arm : info.arms) {
    const std::string& ref = info.refOf.at(arm);
    if (ref == arm) continue;
    const bool armSource = info.initOf.count(arm) && info.initOf.at(arm) == "source";
    const bool refSource = info.initOf.count(ref) && info.initOf.at(ref) == "source";
    pairs.insert(refSource && !armSource ? std::pair{ref, arm} : std::pair{arm, ref});
  }
  std::vector<EfficiencyRow> all;
  for (const auto& metric : info.metricsShown)
    for (const auto& [arm, curveArm] : pairs) {
      const auto e = armEfficiency(info, rows, arm, curveArm, metric);
      all.insert(all.end(), e.begin(), e.end());
    }
  std::string csv = csvLine({"task", "metric", "arm", "reference_arm", "train_size", "value", "de_novo_equivalent",
                             "ci_low", "ci_high", "ci_level", "censored", "method"});
  for (const auto& e : all)
    csv += csvLine({info.task, e.metric, e.arm, e.ref, std::to_string(e.size), fmt(e.value), fmt(e.equivalent),
                    fmt(e.low), fmt(e.high), fmt(info.paired.ciLevel), censoredName(e.censored), e.method});
  std::error_code ec;
  if (all.empty()) fs::remove(expDir / "efficiency.csv", ec);
  else writeTextAtomic(expDir / "efficiency.csv", csv);
  return all;
}

std::string efficiencyMarkdown(const std::vector<EfficiencyRow>& eff) {
  std::string md;
  for (const auto& e : eff) {
    const std::string n = e.censored < 0   ? "fewer than " + number(e.equivalent)
                          : e.censored > 0 ? "more than " + number(e.equivalent)
                                           : number(e.equivalent);
    md += "- " + e.metric + ": " + e.arm + " with " + std::to_string(e.size) + " stud" + (e.size == 1 ? "y" : "ies") +
          " (" + number(e.value, "%.2f") + ") matched " + e.ref + " with " + n + " [" + number(e.low) + ", " +
          number(e.high) + "]\n";
  }
  if (md.empty()) return md;
  return md + "\nThe reference arm's mean is interpolated linearly in log(training studies); the interval is the "
              "two-level bootstrap's percentile interval, with replicates outside the swept sizes set to its ends "
              "(\"fewer than\" / \"more than\": the value lies outside the swept range). An equivalent is a saving "
              "only where the reference curve rises with n and both arms' runs converged (the training table): on a "
              "flat or falling curve, or on cells marked † or ‡, it says nothing about transfer. efficiency.csv has "
              "every row; efficiency.png shows both curves.\n";
}

std::string writePlanning(const fs::path& expDir, const ExperimentInfo& info, const std::vector<Comparison>& cmps) {
  const double h = info.planHalfWidth, level = info.paired.ciLevel;
  std::string md = "Variance components of each comparison (method of moments, runs x studies): between-run SD of "
                   "each arm, the SD of the per-study differences between studies, and what a " +
                   number(100 * level, "%.0f") + "% CI half-width of " + number(h, "%.2f") +
                   " ([stats] plan_half_width) would need: the test studies needed with R runs per arm "
                   "(\"–\": not reachable with R runs, whatever the number of studies).\n\n"
                   "| metric | n train | arms | runs | studies | run SD (a, b) | study SD | CI half-width now | "
                   "planned now | studies for R = 3 | R = 5 | R = 10 |\n|---|---:|---|---:|---:|---|---:|---:|---:|---:|---:|---:|\n";
  std::string csv = csvLine({"task", "metric", "train_size", "arm_a", "arm_b", "n_runs", "n_studies", "var_run_a",
                             "var_run_b", "var_residual_a", "var_residual_b", "var_study_diff", "ci_half_width",
                             "planned_half_width", "target_half_width", "studies_needed_r3", "studies_needed_r5",
                             "studies_needed_r10"});
  bool any = false;
  for (const auto& c : cmps) {
    if (std::find(info.metricsShown.begin(), info.metricsShown.end(), c.metric) == info.metricsShown.end()) continue;
    const auto& t = c.tl;
    if (t.nRunsA < 2 || t.nRunsB < 2 || !t.low) continue;
    any = true;
    const int64_t runs = std::min(t.nRunsA, t.nRunsB);
    std::vector<std::string> need;
    for (int64_t r : {3, 5, 10}) {
      const auto s = stats::studiesNeeded(t, r, h, level);
      need.push_back(s ? std::to_string(*s) : std::string());
    }
    const double now = (*t.high - *t.low) / 2, planned = stats::plannedHalfWidth(t, runs, t.nStudies, level);
    csv += csvLine({info.task, c.metric, std::to_string(c.size), c.ref, c.arm, std::to_string(runs),
                    std::to_string(t.nStudies), fmt(t.a.run), fmt(t.b.run), fmt(t.a.residual), fmt(t.b.residual),
                    fmt(t.diffStudyVar), fmt(now), fmt(planned), fmt(h), need[0], need[1], need[2]});
    for (auto& n : need)
      if (n.empty()) n = "–";
    md += "| " + c.metric + " | " + std::to_string(c.size) + " | " + c.ref + " − " + c.arm + " | " +
          std::to_string(runs) + " | " + std::to_string(t.nStudies) + " | " + number(t.runSdA, "%.3f") + ", " +
          number(t.runSdB, "%.3f") + " | " + number(t.studySd, "%.3f") + " | " + number(now, "%.3f") + " | " +
          number(planned, "%.3f") + " | " + need[0] + " | " + need[1] + " | " + need[2] + " |\n";
  }
  std::error_code ec;
  if (!any) {
    fs::remove(expDir / "planning.csv", ec);
    return "";
  }
  writeTextAtomic(expDir / "planning.csv", csv);
  return md + "\nPlanned half-width: z · sqrt((σ²run,a + σ²run,b)/R + σ²study/S + (σ²res,a + σ²res,b)/(R·S)) "
              "(docs/METRICS.md; planning.csv has the components). It uses the variance components estimated "
              "here, so it is itself uncertain with few runs.\n";
}

}  // namespace mst::report
