#include "lib/eval/LesionAnalysis.h"

#include <algorithm>
#include <cmath>

#include "lib/core/Csv.h"
#include "lib/core/Error.h"
#include "lib/core/Fs.h"
#include "lib/io/Nifti.h"
#include "lib/metrics/Components.h"

namespace mst::eval {

namespace fs = std::filesystem;

std::vector<double> sweepThresholds(double configured) {
  std::vector<double> t;
  for (int k = 1; k <= 19; ++k) t.push_back(k / 20.0);
  if (std::none_of(t.begin(), t.end(), [&](double x) { return std::fabs(x - configured) < 1e-12; }))
    t.push_back(configured);
  std::sort(t.begin(), t.end());
  return t;
}

const std::vector<std::string>& regionNames() {
  static const std::vector<std::string> names = {"outside_brain", "periventricular", "deep_white_matter",
                                                 "juxtacortical_cortical", "posterior_fossa", "other"};
  return names;
}

fs::path regionMapOf(const PredictionPair& p) {
  const std::string name = p.truth.filename().string();
  const auto at = name.rfind("_label.nii.gz");
  if (at == std::string::npos) return {};
  const fs::path f = p.truth.parent_path() / (name.substr(0, at) + "_regions.nii.gz");
  return fs::exists(f) ? f : fs::path();
}

namespace {

fs::path probabilityOf(const PredictionPair& p) {
  const std::string name = p.pred.filename().string();
  const auto at = name.rfind("_mask.nii.gz");
  if (at == std::string::npos) return {};
  return p.pred.parent_path() / (name.substr(0, at) + "_prob.nii.gz");
}

std::vector<uint8_t> readRegions(const fs::path& file, const MaskVolume& like) {
  const FloatVolume r = io::readImage(file);
  if (!r.geom.sameGrid(like.geom))
    throw InputError("'" + file.string() + "': grid " + r.geom.describe() + " differs from the label grid " +
                     like.geom.describe());
  std::vector<uint8_t> out(r.data.size());
  for (size_t v = 0; v < r.data.size(); ++v) out[v] = static_cast<uint8_t>(std::clamp(std::lround(r.data[v]), 0L, 255L));
  return out;
}

std::string regionName(int r) {
  if (r < 0) return "";
  return r < static_cast<int>(regionNames().size()) ? regionNames()[static_cast<size_t>(r)] : std::to_string(r);
}

}  // namespace

bool writeFpRegionsCsv(const fs::path& out, const std::vector<PredictionPair>& pairs,
                       const metrics::LesionOptions& options) {
  for (const auto& p : pairs)
    if (regionMapOf(p).empty()) return false;
  metrics::LesionOptions any = options;  // a false positive touches no true lesion
  any.criterion = metrics::Criterion::kAny;
  const size_t nRegions = regionNames().size();
  std::string csv = csvLine({"subject", "session", "region", "fp_lesions", "fp_volume_mm3"});
  for (const auto& p : pairs) {
    const StudyMasks m = readPair(p);
    const std::vector<uint8_t> regions = readRegions(regionMapOf(p), m.truth);
    std::vector<metrics::LesionRecord> recs;
    metrics::evaluate(m.pred, m.truth, any, &recs, &regions);
    std::vector<int64_t> count(nRegions, 0);
    std::vector<double> volume(nRegions, 0.0);
    for (const auto& r : recs) {
      if (r.truth || r.detected) continue;
      const size_t k = r.region >= 0 && static_cast<size_t>(r.region) < nRegions ? static_cast<size_t>(r.region) : 0;
      ++count[k];
      volume[k] += r.volumeMm3;
    }
    for (size_t k = 0; k < nRegions; ++k)
      csv += csvLine({p.subject, p.session, regionNames()[k], std::to_string(count[k]), csvNumber(volume[k])});
  }
  writeTextAtomic(out, csv);
  return true;
}

bool writeLesionAnalysis(const fs::path& lesionsCsv, const fs::path& frocCsv, const std::vector<PredictionPair>& pairs,
                         const metrics::LesionOptions& options, const SweepOptions& sweep) {
  const std::vector<double> thresholds = sweep.thresholds.empty() ? sweepThresholds(sweep.threshold) : sweep.thresholds;
  bool allMaps = !pairs.empty();
  for (const auto& p : pairs) allMaps = allMaps && !probabilityOf(p).empty() && fs::exists(probabilityOf(p));
  std::string lesions = csvLine({"subject", "session", "side", "voxels", "volume_mm3", "detected", "region"});
  std::string froc = csvLine({"subject", "session", "threshold", "n_truth", "tp_truth", "n_pred", "tp_pred"});
  for (const auto& p : pairs) {
    const auto [pred, truth] = readPair(p);
    const fs::path rf = regionMapOf(p);
    const std::vector<uint8_t> regions = rf.empty() ? std::vector<uint8_t>() : readRegions(rf, truth);
    std::vector<metrics::LesionRecord> recs;
    metrics::evaluate(pred, truth, options, &recs, rf.empty() ? nullptr : &regions);
    for (const auto& r : recs)
      lesions += csvLine({p.subject, p.session, r.truth ? "truth" : "pred", std::to_string(r.voxels),
                          csvNumber(r.volumeMm3), r.detected ? "1" : "0", regionName(r.region)});
    if (!allMaps) continue;
    const FloatVolume prob = io::readImage(probabilityOf(p));
    if (!prob.geom.sameGrid(truth.geom))
      throw InputError("'" + probabilityOf(p).string() + "': grid " + prob.geom.describe() +
                       " differs from the label grid " + truth.geom.describe());
    for (double t : thresholds) {
      const auto m = metrics::evaluate(metrics::binarize(prob, t, sweep.minComponentVoxels), truth, options);
      froc += csvLine({p.subject, p.session, csvNumber(t), std::to_string(m.nTruth), std::to_string(m.tpTruth),
                       std::to_string(m.nPred), std::to_string(m.tpPred)});
    }
  }
  writeTextAtomic(lesionsCsv, lesions);
  if (allMaps) writeTextAtomic(frocCsv, froc);
  return allMaps;
}

}  // namespace mst::eval
