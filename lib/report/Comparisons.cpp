// comparisons.csv: each arm against its reference arm, paired per study
// (repeats averaged), with Holm's adjustment over the experiment's family.
#include <algorithm>
#include <cmath>

#include "lib/core/Csv.h"
#include "lib/core/Fs.h"
#include "lib/report/ReportParts.h"
#include "lib/stats/Stats.h"

namespace mst::report {

namespace {

// Paired values of two arms over the union of their studies (absent: nullopt), and both arms'
// runs x studies for the two-level bootstrap.
Comparison pairArms(const std::vector<Row>& rows, const std::string& ref, const std::string& arm, int size,
                    const std::string& metric, const ExperimentInfo& info, bool* any) {
  auto a = perStudyMeans(rows, ref, size, metric), b = perStudyMeans(rows, arm, size, metric);
  std::vector<std::optional<double>> va, vb;
  std::set<std::string> keys;
  for (const auto& [k, v] : a) keys.insert(k);
  for (const auto& [k, v] : b) keys.insert(k);
  for (const auto& k : keys) {
    va.push_back(a.count(k) ? std::optional<double>(a[k]) : std::nullopt);
    vb.push_back(b.count(k) ? std::optional<double>(b[k]) : std::nullopt);
  }
  *any = !keys.empty();
  Comparison c{ref, arm, metric, size};
  if (!*any) return c;
  c.r = stats::comparePaired(va, vb, info.paired);
  const auto studies = studyKeys(rows, {{ref, size}, {arm, size}});
  c.tl = stats::twoLevelDiff(runStudy(rows, ref, size, metric, studies), runStudy(rows, arm, size, metric, studies),
                             info.twoLevel());
  return c;
}

// Holm-adjusts the two-level, t and Wilcoxon p-values of the comparisons `idx`.
void adjustFamily(std::vector<Comparison>& cmps, const std::vector<size_t>& idx) {
  for (const std::string test : {"two_level", "t", "wilcoxon"}) {
    std::vector<double> p;
    std::vector<size_t> at;
    for (size_t i : idx)
      if (std::isfinite(cmps[i].p(test))) {
        p.push_back(cmps[i].p(test));
        at.push_back(i);
      }
    const auto h = stats::holm(p);
    for (size_t k = 0; k < at.size(); ++k)
      (test == "t" ? cmps[at[k]].holmT : test == "wilcoxon" ? cmps[at[k]].holmW : cmps[at[k]].holmTl) = h[k];
  }
}

}  // namespace

std::vector<Comparison> compareArms(const ExperimentInfo& info, const std::vector<Row>& rows, const std::set<int>& sizes) {
  std::vector<Comparison> cmps;
  for (const auto& metric : allMetricColumns()) {
    const auto& shown = info.metricsShown;
    if (std::find(shown.begin(), shown.end(), metric) == shown.end() && metric != "f1" && metric != "dice" &&
        metric != "lesion_ap")
      continue;
    std::vector<size_t> idx;
    for (int size : sizes)
      for (const auto& arm : info.arms) {
        const std::string& ref = info.refOf.at(arm);
        if (arm == ref) continue;
        bool any = false;
        auto c = pairArms(rows, ref, arm, size, metric, info, &any);
        if (!any) continue;
        idx.push_back(cmps.size());
        cmps.push_back(std::move(c));
      }
    adjustFamily(cmps, idx);
  }
  return cmps;
}

double Comparison::p(const std::string& test) const {
  if (test == "t") return r.t.p.value_or(NAN);
  if (test == "wilcoxon") return r.w.p.value_or(NAN);
  return tl.p.value_or(NAN);
}

double Comparison::pHolm(const std::string& test) const {
  return test == "t" ? holmT : test == "wilcoxon" ? holmW : holmTl;
}

std::string testLabel(const std::string& test) {
  if (test == "t") return "paired t-test over test studies (repeats averaged)";
  if (test == "wilcoxon") return "Wilcoxon signed-rank test over test studies (repeats averaged; the paper's test)";
  return "two-level bootstrap over training runs and test studies";
}

std::string verdict(const Comparison& c, const CellFlags& flags) {
  for (const auto& arm : {c.ref, c.arm}) {
    const auto f = flags.find({arm, c.size});
    if (f != flags.end() && (f->second.cap || f->second.neverLearned)) return "not converged";
  }
  if (!c.tl.low || !c.tl.high || !std::isfinite(*c.tl.low) || !std::isfinite(*c.tl.high)) return "undefined";
  if (*c.tl.low > 0) return c.ref + " higher";
  if (*c.tl.high < 0) return c.arm + " higher";
  return "no difference";
}

namespace {
double halfWidth(const Comparison& c) {
  return c.tl.low && c.tl.high ? (*c.tl.high - *c.tl.low) / 2 : NAN;
}
std::string fixed2(double v) { return decimals(v, 2, true); }
}  // namespace

std::string verdictMarkdown(const ExperimentInfo& info, const std::vector<Comparison>& cmps, const CellFlags& flags) {
  if (cmps.empty()) return "";
  std::string md = "Each comparison at " + fmt(100 * info.paired.ciLevel) +
                   " %: the difference (first arm minus second) with the two-level bootstrap interval over "
                   "training runs and test studies, its half-width against the target of " + fmt(info.planHalfWidth) +
                   " ([stats] plan_half_width), and what it shows. \"not converged\": a run of either cell reached "
                   "its iteration cap while improving or never learned, so no effect is read.\n\n"
                   "| n train | metric | arms | difference [CI] | half-width | runs | verdict |\n|---:|---|---|---|---:|---|---|\n";
  int within = 0, defined = 0;
  for (const auto& c : cmps) {
    const double hw = halfWidth(c);
    const bool finite = std::isfinite(hw), wide = finite && hw > info.planHalfWidth + 1e-12;
    defined += finite;
    within += finite && !wide;
    const std::string h = decimals(hw) + (wide ? " (wide)" : "");
    md += "| " + std::to_string(c.size) + " | " + c.metric + " | " + c.ref + " - " + c.arm + " | " +
          fixed2(c.tl.meanDiff.value_or(NAN)) + " [" + fixed2(c.tl.low.value_or(NAN)) + ", " +
          fixed2(c.tl.high.value_or(NAN)) + "] | " + h + " | " + std::to_string(c.tl.nRunsA) + " / " +
          std::to_string(c.tl.nRunsB) + " | " + verdict(c, flags) + " |\n";
  }
  md += "\n" + std::to_string(within) + " of " + std::to_string(defined) + " intervals have a half-width of at most " +
        fmt(info.planHalfWidth) + ".\n";
  return md;
}

void writeComparisons(const std::filesystem::path& expDir, const std::string& task, const std::vector<Comparison>& cmps,
                      double ciLevel, const CellFlags& flags) {
  std::string out = csvLine({"task", "train_size", "metric", "arm_a", "arm_b", "n_pairs", "n_dropped", "n_runs_a",
                             "n_runs_b", "mean_a", "se_a", "mean_b", "se_b", "mean_diff", "ci_low", "ci_high",
                             "ci_level", "ci_method", "run_sd_a", "run_sd_b", "study_sd", "p_two_level",
                             "p_two_level_holm", "t", "df", "t_p", "t_p_holm", "wilcoxon_statistic", "wilcoxon_p",
                             "wilcoxon_p_holm", "wilcoxon_method", "cohen_dz", "rank_biserial", "half_width", "verdict"});
  const std::string level = fmt(ciLevel);
  for (const auto& c : cmps) {
    const std::string method = c.tl.method + ", percentile, " + std::to_string(c.tl.resamples) + " resamples";
    out += csvLine({task, std::to_string(c.size), c.metric, c.ref, c.arm, std::to_string(c.r.nPairs),
                    std::to_string(c.r.nDropped), std::to_string(c.tl.nRunsA), std::to_string(c.tl.nRunsB),
                    fmt(c.r.a.mean.value_or(NAN)), fmt(c.r.a.se.value_or(NAN)), fmt(c.r.b.mean.value_or(NAN)),
                    fmt(c.r.b.se.value_or(NAN)), fmt(c.tl.meanDiff.value_or(NAN)), fmt(c.tl.low.value_or(NAN)),
                    fmt(c.tl.high.value_or(NAN)), level, method, fmt(c.tl.runSdA), fmt(c.tl.runSdB),
                    fmt(c.tl.studySd), fmt(c.tl.p.value_or(NAN)), fmt(c.holmTl), fmt(c.r.t.t.value_or(NAN)),
                    fmt(c.r.t.df.value_or(NAN)), fmt(c.r.t.p.value_or(NAN)), fmt(c.holmT),
                    fmt(c.r.w.statistic.value_or(NAN)), fmt(c.r.w.p.value_or(NAN)), fmt(c.holmW), c.r.w.method,
                    fmt(c.r.cohenDz.value_or(NAN)), fmt(c.r.rankBiserial.value_or(NAN)), fmt(halfWidth(c)),
                    verdict(c, flags)});
  }
  writeTextAtomic(expDir / "comparisons.csv", out);
}

}  // namespace mst::report
