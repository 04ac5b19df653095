// Beyond the per-study table: the threshold sweep (froc.csv, lesion-wise average precision per study),
// lesion-level (pooled) numbers and lesion-volume agreement (lesion_level.csv), and sensitivity per
// lesion-size stratum and per region (strata.csv), from each run's froc.csv and lesions.csv.
#include <algorithm>
#include <cstdio>

#include "lib/core/Csv.h"
#include "lib/core/Fs.h"
#include "lib/report/ReportParts.h"
#include "lib/stats/Stats.h"

namespace mst::report {

namespace fs = std::filesystem;

namespace {

// A numeric cell of `col`; InputError naming the file, the column and the value otherwise (and when
// `integer` and the value has a fraction).
double numberCell(const CsvTable& t, const std::vector<std::string>& row, const char* col, const fs::path& file,
                  bool integer = false) {
  const int c = t.column(col);
  if (c < 0) throw InputError("'" + file.string() + "': no '" + col + "' column");
  const std::string& text = row[static_cast<size_t>(c)];
  size_t used = 0;
  double v = NAN;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || (integer && v != std::floor(v)))
    throw InputError("'" + file.string() + "': column '" + col + "': expected " + (integer ? "an integer" : "a number") +
                     ", got '" + text + "'");
  return v;
}

int64_t integerCell(const CsvTable& t, const std::vector<std::string>& row, const char* col, const fs::path& file) {
  return static_cast<int64_t>(numberCell(t, row, col, file, true));
}

std::string studyKey(const CsvTable& t, const std::vector<std::string>& row) {
  const int cs = t.column("subject"), ce = t.column("session");
  return row[static_cast<size_t>(cs)] + "/" + (ce >= 0 ? row[static_cast<size_t>(ce)] : std::string());
}

std::optional<double> ratio(int64_t a, int64_t b) {
  return b > 0 ? std::optional<double>(static_cast<double>(a) / static_cast<double>(b)) : std::nullopt;
}

// Mean over studies of per-study values averaged over repeats: value(study, repeat) -> the cell's mean.
double meanOverStudies(const std::map<std::string, std::vector<double>>& perStudy) {
  double sum = 0;
  int n = 0;
  for (const auto& [k, v] : perStudy) {
    if (v.empty()) continue;
    double s = 0;
    for (double x : v) s += x;
    sum += s / static_cast<double>(v.size());
    ++n;
  }
  return n ? sum / n : NAN;
}

// Area under the FROC up to maxFp, divided by maxFp: the curve as a step function, at x false-positive
// lesions per study the highest mean sensitivity of a threshold with at most x (0 below every point).
double frocArea(std::vector<std::pair<double, double>> pts, double maxFp) {
  if (pts.empty()) return NAN;
  std::sort(pts.begin(), pts.end());
  double area = 0, best = 0;
  for (size_t i = 0; i < pts.size() && pts[i].first < maxFp; ++i) {
    best = std::max(best, pts[i].second);
    const double next = i + 1 < pts.size() ? std::min(pts[i + 1].first, maxFp) : maxFp;
    area += best * (next - pts[i].first);
  }
  return area / maxFp;
}

}  // namespace

double averagePrecision(const std::vector<SweepPoint>& sweep) {
  std::vector<SweepPoint> s = sweep;
  std::sort(s.begin(), s.end(), [](const SweepPoint& a, const SweepPoint& b) { return a.threshold > b.threshold; });
  double ap = 0, best = 0;
  bool any = false;
  for (const auto& p : s) {
    if (p.nTruth <= 0) return NAN;
    any = true;
    if (p.nPred <= 0) continue;
    const double r = static_cast<double>(p.tpTruth) / static_cast<double>(p.nTruth);
    const double prec = static_cast<double>(p.tpPred) / static_cast<double>(p.nPred);
    if (r > best) {
      ap += (r - best) * prec;
      best = r;
    }
  }
  return any ? ap : NAN;
}

std::vector<RunSweep> loadSweeps(const std::vector<RunMeta>& runs) {
  std::vector<RunSweep> out;
  for (const auto& meta : runs) {
    const fs::path f = meta.dir / "froc.csv";
    if (!fs::exists(f)) continue;
    RunSweep rs;
    rs.meta = meta;
    const CsvTable t = readCsv(f);
    if (t.column("subject") < 0) throw InputError("'" + f.string() + "': no 'subject' column");
    for (const auto& row : t.rows)
      rs.studies[studyKey(t, row)].push_back({numberCell(t, row, "threshold", f), integerCell(t, row, "n_truth", f),
                                              integerCell(t, row, "tp_truth", f), integerCell(t, row, "n_pred", f),
                                              integerCell(t, row, "tp_pred", f)});
    out.push_back(std::move(rs));
  }
  return out;
}

void addSweepMetrics(std::vector<Row>& rows, const std::vector<RunSweep>& sweeps) {
  std::map<std::pair<std::string, std::string>, double> ap;  // (run, study) -> AP
  for (const auto& s : sweeps)
    for (const auto& [study, pts] : s.studies) ap[{s.meta.id, study}] = averagePrecision(pts);
  for (auto& r : rows) {
    auto it = ap.find({r.run, r.subject + "/" + r.session});
    if (it != ap.end() && std::isfinite(it->second)) r.m["lesion_ap"] = it->second;
  }
}

namespace {

using FrocCurves = std::map<std::pair<int, std::string>, std::vector<std::pair<double, double>>>;  // (size, arm) -> (fp, sens)

// froc.csv: per cell and threshold; returns each cell's FROC points.
FrocCurves writeFroc(const fs::path& expDir, const std::string& task, const std::vector<RunSweep>& sweeps) {
  struct Acc {
    std::map<std::string, std::vector<double>> sens, ppv, fp;
    int64_t nTruth = 0, tpTruth = 0, nPred = 0, tpPred = 0;
    bool configured = false;
  };
  std::map<std::tuple<int, std::string, double>, Acc> sweep;
  for (const auto& s : sweeps)
    for (const auto& [study, pts] : s.studies)
      for (const auto& p : pts) {
        Acc& a = sweep[{s.meta.size, s.meta.arm, p.threshold}];
        if (p.nTruth > 0) a.sens[study].push_back(static_cast<double>(p.tpTruth) / p.nTruth);
        if (p.nPred > 0) a.ppv[study].push_back(static_cast<double>(p.tpPred) / p.nPred);
        a.fp[study].push_back(static_cast<double>(p.nPred - p.tpPred));
        a.nTruth += p.nTruth;
        a.tpTruth += p.tpTruth;
        a.nPred += p.nPred;
        a.tpPred += p.tpPred;
        a.configured = a.configured || std::fabs(p.threshold - s.meta.threshold) < 1e-12;
      }
  std::string froc = csvLine({"task", "train_size", "arm", "threshold", "configured", "n_studies", "sensitivity",
                              "ppv", "fp_per_study", "sensitivity_pooled", "ppv_pooled", "n_truth_lesions",
                              "n_pred_lesions"});
  FrocCurves curve;
  for (const auto& [k, a] : sweep) {
    const auto& [size, arm, t] = k;
    const double sens = meanOverStudies(a.sens), fp = meanOverStudies(a.fp);
    froc += csvLine({task, std::to_string(size), arm, fmt(t), a.configured ? "1" : "0", std::to_string(a.fp.size()),
                     fmt(sens), fmt(meanOverStudies(a.ppv)), fmt(fp), fmt(ratio(a.tpTruth, a.nTruth).value_or(NAN)),
                     fmt(ratio(a.tpPred, a.nPred).value_or(NAN)), std::to_string(a.nTruth), std::to_string(a.nPred)});
    if (std::isfinite(sens) && std::isfinite(fp)) curve[{size, arm}].push_back({fp, sens});
  }
  std::error_code ec;
  if (sweeps.empty()) fs::remove(expDir / "froc.csv", ec);
  else writeTextAtomic(expDir / "froc.csv", froc);
  return curve;
}

const char* kLesionLevelNote =
    "\nPooled: lesions of all test studies and repeats together (true lesions found / true lesions; true "
    "predicted lesions / predicted lesions), beside the per-study means of the main table. Lesion-wise AP: "
    "per study, the area under lesion-wise precision against recall over the probability thresholds "
    "0.05-0.95 (step-wise, recall made non-decreasing), then the mean over studies; compared between arms "
    "with the same paired tests in comparisons.csv (metric lesion_ap). FROC area: over the same thresholds, the "
    "highest mean sensitivity reached with at most x false-positive lesions per study (mean over studies), "
    "integrated over x from 0 to ";

// lesion_level.csv: pooled counts, mean AP, FROC area, volume agreement per cell; returns its markdown.
std::string writeLesionTable(const fs::path& expDir, const ExperimentInfo& info, const std::vector<Row>& rows,
                             const std::set<int>& sizes, const FrocCurves& curve) {
  std::string ll = csvLine({"task", "train_size", "arm", "n_studies", "n_truth_lesions", "tp_truth", "sensitivity_pooled",
                            "n_pred_lesions", "tp_pred", "ppv_pooled", "lesion_ap_mean", "froc_area", "froc_max_fp",
                            "volume_pearson_r", "volume_bias_mm3", "volume_loa_low_mm3", "volume_loa_high_mm3"});
  std::string md = "| n train | arm | studies | pooled sensitivity | pooled PPV | lesion-wise AP | FROC area (≤ " +
                   decimals(info.frocMaxFp) + " FP) | volume r | volume bias [LoA] mm³ |\n|---:|---|---:|---|---|---|---|---|---|\n";
  for (int size : sizes)
    for (const auto& arm : info.arms) {
      int64_t nT = 0, tpT = 0, nP = 0, tpP = 0;
      bool any = false;
      for (const auto& r : rows) {
        if (r.arm != arm || r.size != size) continue;
        any = true;
        auto get = [&](const char* c) { return r.m.count(c) && r.m.at(c) ? static_cast<int64_t>(*r.m.at(c)) : 0; };
        nT += get("n_truth");
        tpT += get("tp_truth");
        nP += get("n_pred");
        tpP += get("tp_pred");
      }
      if (!any) continue;
      const auto tv = perStudyMeans(rows, arm, size, "truth_volume_mm3"), pv = perStudyMeans(rows, arm, size, "pred_volume_mm3");
      std::vector<double> a, b;
      for (const auto& [k, v] : tv)
        if (pv.count(k)) {
          a.push_back(v);
          b.push_back(pv.at(k));
        }
      const auto r = stats::pearson(a, b);
      const auto ba = stats::blandAltman(a, b);
      std::vector<double> aps;
      for (const auto& [k, v] : perStudyMeans(rows, arm, size, "lesion_ap")) aps.push_back(v);
      const double apMean = aps.empty() ? NAN : stats::summarize(aps).mean.value_or(NAN);
      const auto c = curve.find({size, arm});
      const double area = c == curve.end() ? NAN : frocArea(c->second, info.frocMaxFp);
      const double sensP = ratio(tpT, nT).value_or(NAN), ppvP = ratio(tpP, nP).value_or(NAN);
      ll += csvLine({info.task, std::to_string(size), arm, std::to_string(a.size()), std::to_string(nT),
                     std::to_string(tpT), fmt(sensP), std::to_string(nP), std::to_string(tpP), fmt(ppvP), fmt(apMean),
                     fmt(area), fmt(info.frocMaxFp), fmt(r.value_or(NAN)), fmt(ba.bias.value_or(NAN)),
                     fmt(ba.low.value_or(NAN)), fmt(ba.high.value_or(NAN))});
      md += "| " + std::to_string(size) + " | " + arm + " | " + std::to_string(a.size()) + " | " + decimals(sensP) +
            " (" + std::to_string(tpT) + "/" + std::to_string(nT) + ") | " + decimals(ppvP) + " (" +
            std::to_string(tpP) + "/" + std::to_string(nP) + ") | " + decimals(apMean) + " | " + decimals(area) +
            " | " + decimals(r.value_or(NAN)) + " | ";
      char b2[96];
      if (ba.bias && ba.low) std::snprintf(b2, sizeof b2, "%.0f [%.0f, %.0f] |\n", *ba.bias, *ba.low, *ba.high);
      else std::snprintf(b2, sizeof b2, "n/a |\n");
      md += b2;
    }
  writeTextAtomic(expDir / "lesion_level.csv", ll);
  return md + kLesionLevelNote + decimals(info.frocMaxFp) +
         " and divided by it ([stats] froc_max_fp): 1 is every lesion found without a false positive. Volume: "
         "Pearson r of total lesion volume per study (predicted against true) and Bland-Altman bias (predicted "
         "minus true) with 95% limits of agreement.\n";
}

struct Count {
  int64_t n = 0, hit = 0;
};
using StratumKey = std::tuple<int, std::string, std::string, std::string>;  // size, arm, kind, stratum

// Lesion-size bins and the generator's region order (lib/synth/Phantom.h's Region), others after them.
struct StrataOrder {
  const std::vector<double>& bins;
  size_t binOf(double v) const {
    size_t i = 0;
    while (i < bins.size() && v >= bins[i]) ++i;
    return i;
  }
  std::string binName(size_t i) const {
    if (i == 0) return "<" + fmt(bins[0]);
    if (i == bins.size()) return ">=" + fmt(bins.back());
    return fmt(bins[i - 1]) + "-" + fmt(bins[i]);
  }
  int rank(const std::string& kind, const std::string& s) const {
    static const std::vector<std::string> kRegionOrder = {"periventricular", "deep_white_matter", "juxtacortical_cortical",
                                                          "posterior_fossa", "other", "outside_brain"};
    if (kind != "volume_mm3")
      return 1000 + static_cast<int>(std::find(kRegionOrder.begin(), kRegionOrder.end(), s) - kRegionOrder.begin());
    for (size_t i = 0; i <= bins.size(); ++i)
      if (binName(i) == s) return static_cast<int>(i);
    return 999;
  }
};

// Every run's lesions.csv by (size, arm, kind, stratum): (truth counts, prediction counts).
std::map<StratumKey, std::pair<Count, Count>> readStrata(const std::vector<RunMeta>& runs, const StrataOrder& order,
                                                          bool* anyRegion) {
  std::map<StratumKey, std::pair<Count, Count>> merged;
  for (const auto& m : runs) {
    const fs::path f = m.dir / "lesions.csv";
    if (!fs::exists(f)) continue;
    const CsvTable t = readCsv(f);
    const int cs = t.column("side"), cr = t.column("region");
    if (cs < 0) throw InputError("'" + f.string() + "': no 'side' column");
    for (const auto& row : t.rows) {
      const bool truth = row[static_cast<size_t>(cs)] == "truth";
      const bool hit = integerCell(t, row, "detected", f) != 0;
      const double vol = numberCell(t, row, "volume_mm3", f);
      auto add = [&](const std::string& kind, const std::string& stratum) {
        auto& pc = merged[{m.size, m.arm, kind, stratum}];
        Count& c = truth ? pc.first : pc.second;
        ++c.n;
        c.hit += hit;
      };
      add("volume_mm3", order.binName(order.binOf(vol)));
      const std::string region = cr >= 0 ? row[static_cast<size_t>(cr)] : "";
      if (!region.empty()) {
        *anyRegion = true;
        add("region", region);
      }
    }
  }
  return merged;
}

// The markdown of one stratum kind: sensitivity per stratum per cell, "0.55 (11/20)".
std::string strataMarkdown(const ExperimentInfo& info, const std::set<int>& sizes, const std::string& kind,
                           const std::vector<StratumKey>& keys, const std::map<StratumKey, std::pair<Count, Count>>& merged,
                           const StrataOrder& order) {
  std::vector<std::string> names;
  for (const auto& k : keys)
    if (std::get<2>(k) == kind && std::find(names.begin(), names.end(), std::get<3>(k)) == names.end())
      names.push_back(std::get<3>(k));
  std::stable_sort(names.begin(), names.end(), [&](const auto& x, const auto& y) { return order.rank(kind, x) < order.rank(kind, y); });
  std::string md = "\n" + std::string(kind == "region" ? "Sensitivity by the region of the true lesion (generator's region map)"
                                                       : "Sensitivity by true-lesion volume (mm³; [stats] volume_bins_mm3)") +
                   ": pooled, found / true lesions.\n\n| n train | arm |";
  for (const auto& n : names) md += " " + n + " |";
  md += "\n|---:|---|";
  for (size_t i = 0; i < names.size(); ++i) md += "---|";
  md += "\n";
  for (int size : sizes)
    for (const auto& arm : info.arms) {
      if (std::none_of(names.begin(), names.end(), [&](const auto& n) { return merged.count({size, arm, kind, n}); }))
        continue;
      md += "| " + std::to_string(size) + " | " + arm + " |";
      for (const auto& n : names) {
        auto it = merged.find({size, arm, kind, n});
        const Count t = it == merged.end() ? Count{} : it->second.first;
        md += " " + (t.n ? decimals(static_cast<double>(t.hit) / t.n) : std::string("–")) + " (" +
              std::to_string(t.hit) + "/" + std::to_string(t.n) + ") |";
      }
      md += "\n";
    }
  return md;
}

// strata.csv by lesion volume (truth: found; prediction: true) and by region; returns its markdown.
std::string writeStrata(const fs::path& expDir, const ExperimentInfo& info, const std::set<int>& sizes,
                        const std::vector<RunMeta>& runs) {
  const StrataOrder order{info.volumeBins};
  bool anyRegion = false;
  const auto merged = readStrata(runs, order, &anyRegion);
  std::error_code ec;
  if (merged.empty()) {
    fs::remove(expDir / "strata.csv", ec);
    return "";
  }
  std::vector<StratumKey> keys;
  for (const auto& [k, c] : merged) keys.push_back(k);
  std::stable_sort(keys.begin(), keys.end(), [&](const auto& x, const auto& y) {
    if (std::get<0>(x) != std::get<0>(y)) return std::get<0>(x) < std::get<0>(y);
    if (std::get<1>(x) != std::get<1>(y)) return std::get<1>(x) < std::get<1>(y);
    if (std::get<2>(x) != std::get<2>(y)) return std::get<2>(x) > std::get<2>(y);  // volume_mm3 before region
    return order.rank(std::get<2>(x), std::get<3>(x)) < order.rank(std::get<2>(y), std::get<3>(y));
  });
  std::string sc = csvLine({"task", "train_size", "arm", "stratum_kind", "stratum", "n_truth_lesions", "tp_truth",
                            "sensitivity", "n_pred_lesions", "tp_pred", "ppv"});
  for (const auto& k : keys) {
    const auto& [t, p] = merged.at(k);
    sc += csvLine({info.task, std::to_string(std::get<0>(k)), std::get<1>(k), std::get<2>(k), std::get<3>(k),
                   std::to_string(t.n), std::to_string(t.hit), fmt(ratio(t.hit, t.n).value_or(NAN)), std::to_string(p.n),
                   std::to_string(p.hit), fmt(ratio(p.hit, p.n).value_or(NAN))});
  }
  writeTextAtomic(expDir / "strata.csv", sc);
  std::string md = strataMarkdown(info, sizes, "volume_mm3", keys, merged, order);
  if (anyRegion) md += strataMarkdown(info, sizes, "region", keys, merged, order);
  return md;
}

}  // namespace

std::string writeLesionLevel(const fs::path& expDir, const ExperimentInfo& info, const std::vector<Row>& rows,
                             const std::set<int>& sizes, const std::vector<RunSweep>& sweeps,
                             const std::vector<RunMeta>& runs) {
  const FrocCurves curve = writeFroc(expDir, info.task, sweeps);
  return writeLesionTable(expDir, info, rows, sizes, curve) + writeStrata(expDir, info, sizes, runs);
}

}  // namespace mst::report
