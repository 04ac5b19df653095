// comparisons.csv: each arm against its reference arm, paired per study
// (repeats averaged), with Holm's adjustment over the experiment's family.
#include <algorithm>

#include "lib/core/Csv.h"
#include "lib/core/Fs.h"
#include "lib/report/ReportParts.h"
#include "lib/stats/Stats.h"

namespace mst::report {

namespace {

// Paired values of two arms over the union of their studies (absent: nullopt).
stats::PairedResult pairArms(const std::vector<Row>& rows, const std::string& ref, const std::string& arm, int size,
                             const std::string& metric, const stats::PairedOptions& po, bool* any) {
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
  return *any ? stats::comparePaired(va, vb, po) : stats::PairedResult{};
}

// Holm-adjusts the t and Wilcoxon p-values of the comparisons `idx`.
void adjustFamily(std::vector<Comparison>& cmps, const std::vector<size_t>& idx) {
  std::vector<double> pt, pw;
  std::vector<size_t> it, iw;
  for (size_t i : idx) {
    if (cmps[i].r.t.p) {
      pt.push_back(*cmps[i].r.t.p);
      it.push_back(i);
    }
    if (cmps[i].r.w.p) {
      pw.push_back(*cmps[i].r.w.p);
      iw.push_back(i);
    }
  }
  auto ht = stats::holm(pt), hw = stats::holm(pw);
  for (size_t k = 0; k < it.size(); ++k) cmps[it[k]].holmT = ht[k];
  for (size_t k = 0; k < iw.size(); ++k) cmps[iw[k]].holmW = hw[k];
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
        auto r = pairArms(rows, ref, arm, size, metric, info.paired, &any);
        if (!any) continue;
        idx.push_back(cmps.size());
        cmps.push_back({ref, arm, metric, size, r});
      }
    adjustFamily(cmps, idx);
  }
  return cmps;
}

void writeComparisons(const std::filesystem::path& expDir, const std::string& task, const std::vector<Comparison>& cmps,
                      double ciLevel) {
  std::string out = csvLine({"task", "train_size", "metric", "arm_a", "arm_b", "n_pairs", "n_dropped", "mean_a", "se_a",
                             "mean_b", "se_b", "mean_diff", "ci_low", "ci_high", "ci_level", "t", "df", "t_p",
                             "t_p_holm", "wilcoxon_statistic", "wilcoxon_p", "wilcoxon_p_holm", "wilcoxon_method",
                             "cohen_dz", "rank_biserial"});
  const std::string level = fmt(ciLevel);
  for (const auto& c : cmps)
    out += csvLine({task, std::to_string(c.size), c.metric, c.ref, c.arm, std::to_string(c.r.nPairs),
                    std::to_string(c.r.nDropped), fmt(c.r.a.mean.value_or(NAN)), fmt(c.r.a.se.value_or(NAN)),
                    fmt(c.r.b.mean.value_or(NAN)), fmt(c.r.b.se.value_or(NAN)), fmt(c.r.meanDiff.value_or(NAN)),
                    fmt(c.r.ci.low.value_or(NAN)), fmt(c.r.ci.high.value_or(NAN)), level, fmt(c.r.t.t.value_or(NAN)),
                    fmt(c.r.t.df.value_or(NAN)), fmt(c.r.t.p.value_or(NAN)), fmt(c.holmT),
                    fmt(c.r.w.statistic.value_or(NAN)), fmt(c.r.w.p.value_or(NAN)), fmt(c.holmW), c.r.w.method,
                    fmt(c.r.cohenDz.value_or(NAN)), fmt(c.r.rankBiserial.value_or(NAN))});
  writeTextAtomic(expDir / "comparisons.csv", out);
}

}  // namespace mst::report
