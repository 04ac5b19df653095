#include "lib/metrics/LesionMetrics.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <stdexcept>
#include <unordered_map>

#include "lib/core/Error.h"
#include "lib/metrics/Components.h"

namespace mst::metrics {




int64_t minVoxels(const LesionOptions& o, double voxelVolumeMm3) {
  int64_t fromMm3 = 0;
  if (o.minSizeMm3 > 0)
    fromMm3 = o.minSizeStrict ? static_cast<int64_t>(std::floor(o.minSizeMm3 / voxelVolumeMm3 + 1e-9)) + 1  // volume > min
                              : static_cast<int64_t>(std::ceil(o.minSizeMm3 / voxelVolumeMm3 - 1e-9));   // volume >= min
  return std::max(fromMm3, o.minSizeVoxels);
}

namespace {

// Overlap counts between components of A and B: overlap[(a, b)] = voxels in both.
using PairCounts = std::map<std::pair<int32_t, int32_t>, int64_t>;

PairCounts overlaps(const Components& a, const Components& b) {
  PairCounts pc;
  for (size_t i = 0; i < a.labels.size(); ++i)
    if (a.labels[i] && b.labels[i]) ++pc[{a.labels[i], b.labels[i]}];
  return pc;
}

// For each component of `self`, whether it is "detected" by `other` under the criterion.
// byPair maps (self label, other label) -> overlap voxels.
std::vector<bool> detected(const Components& self, const Components& other,
                           const std::vector<std::vector<std::pair<int32_t, int64_t>>>& partners,
                           const std::vector<int64_t>& otherOutside, const LesionOptions& o) {
  std::vector<bool> found(self.voxels.size(), false);
  for (int32_t l = 1; l <= self.count(); ++l) {
    const auto& ps = partners[l];
    if (ps.empty()) continue;
    switch (o.criterion) {
      case Criterion::kAny:
        found[l] = true;
        break;
      case Criterion::kIou:
        for (const auto& [p, inter] : ps) {
          const double uni = static_cast<double>(self.voxels[l] + other.voxels[p] - inter);
          if (inter / uni >= o.iouThreshold - 1e-12) found[l] = true;
        }
        break;
      case Criterion::kAnima: {
        int64_t covered = 0;
        for (const auto& pr : ps) covered += pr.second;
        if (!(static_cast<double>(covered) / self.voxels[l] > o.alpha)) break;
        auto sorted = ps;
        std::sort(sorted.begin(), sorted.end(),
                  [](const auto& x, const auto& y) { return x.second != y.second ? x.second > y.second : x.first < y.first; });
        int64_t acc = 0;
        bool ok = true;
        for (const auto& [p, inter] : sorted) {
          const double outside = static_cast<double>(otherOutside[p]) / other.voxels[p];
          if (outside > o.beta) ok = false;
          acc += inter;
          if (acc >= o.gamma * covered - 1e-9) break;
        }
        found[l] = ok;
        break;
      }
    }
  }
  return found;
}

}  // namespace

namespace {

// Most frequent region label of each component (index = label; ties: the lower label).
std::vector<int> majorityRegion(const Components& c, const std::vector<uint8_t>& regions) {
  std::vector<std::array<int64_t, 256>> hist(c.voxels.size(), std::array<int64_t, 256>{});
  for (size_t v = 0; v < c.labels.size(); ++v)
    if (c.labels[v]) ++hist[static_cast<size_t>(c.labels[v])][regions[v]];
  std::vector<int> out(c.voxels.size(), -1);
  for (size_t l = 1; l < hist.size(); ++l)
    out[l] = static_cast<int>(std::max_element(hist[l].begin(), hist[l].end()) - hist[l].begin());
  return out;
}

void appendRecords(const Components& c, const std::vector<bool>& hit, bool truth, double vv,
                   const std::vector<uint8_t>* regions, std::vector<LesionRecord>& out) {
  const std::vector<int> region = regions ? majorityRegion(c, *regions) : std::vector<int>(c.voxels.size(), -1);
  for (int32_t l = 1; l <= c.count(); ++l)
    out.push_back({truth, c.voxels[static_cast<size_t>(l)], static_cast<double>(c.voxels[static_cast<size_t>(l)]) * vv,
                   static_cast<bool>(hit[static_cast<size_t>(l)]), region[static_cast<size_t>(l)]});
}

}  // namespace

StudyMetrics evaluate(const MaskVolume& pred, const MaskVolume& truth, const LesionOptions& o,
                      std::vector<LesionRecord>* lesions, const std::vector<uint8_t>* regions) {
  if (pred.geom.size != truth.geom.size)
    throw InputError("prediction size " + pred.geom.describe() + " differs from truth size " + truth.geom.describe());
  if (regions && regions->size() != truth.data.size())
    throw InputError("region map size differs from truth size " + truth.geom.describe());
  const double vv = truth.geom.voxelVolumeMm3();
  const int64_t minVox = minVoxels(o, vv);
  Components t = labelComponents(truth, o.connectivity);
  Components p = labelComponents(pred, o.connectivity);
  removeSmall(t, minVox);
  removeSmall(p, minVox);

  StudyMetrics m;
  m.nTruth = t.count();
  m.nPred = p.count();
  PairCounts pc = overlaps(t, p);
  std::vector<std::vector<std::pair<int32_t, int64_t>>> tPartners(t.voxels.size()), pPartners(p.voxels.size());
  std::vector<int64_t> tInside(t.voxels.size(), 0), pInside(p.voxels.size(), 0);
  for (const auto& [key, n] : pc) {
    tPartners[key.first].emplace_back(key.second, n);
    pPartners[key.second].emplace_back(key.first, n);
    tInside[key.first] += n;
    pInside[key.second] += n;
  }
  // Voxels of each component outside every component of the other mask.
  std::vector<int64_t> tOutside(t.voxels.size()), pOutside(p.voxels.size());
  for (size_t l = 0; l < t.voxels.size(); ++l) tOutside[l] = t.voxels[l] - tInside[l];
  for (size_t l = 0; l < p.voxels.size(); ++l) pOutside[l] = p.voxels[l] - pInside[l];

  auto tFound = detected(t, p, tPartners, pOutside, o);
  auto pTrue = detected(p, t, pPartners, tOutside, o);
  for (int32_t l = 1; l <= t.count(); ++l) {
    m.tpTruth += tFound[l];
    m.truthVolumeMm3 += t.voxels[l] * vv;
  }
  for (int32_t l = 1; l <= p.count(); ++l) {
    m.tpPred += pTrue[l];
    m.predVolumeMm3 += p.voxels[l] * vv;
    if (!pTrue[l]) m.fpVolumeMm3 += p.voxels[l] * vv;
  }
  m.fpLesions = m.nPred - m.tpPred;
  if (lesions) {
    appendRecords(t, tFound, true, vv, regions, *lesions);
    appendRecords(p, pTrue, false, vv, regions, *lesions);
  }
  if (m.nTruth > 0) m.sensitivity = static_cast<double>(m.tpTruth) / m.nTruth;
  if (m.nPred > 0) m.ppv = static_cast<double>(m.tpPred) / m.nPred;
  if (m.sensitivity && m.ppv) {
    const double s = *m.sensitivity + *m.ppv;
    m.f1 = s > 0 ? 2 * *m.sensitivity * *m.ppv / s : 0.0;
  }
  // Voxel Dice on the masks as given (before the minimum lesion size).
  int64_t a = 0, b = 0, ab = 0;
  for (size_t i = 0; i < pred.data.size(); ++i) {
    const bool x = pred.data[i] != 0, y = truth.data[i] != 0;
    a += x;
    b += y;
    ab += x && y;
  }
  if (a + b > 0) m.dice = 2.0 * ab / static_cast<double>(a + b);
  return m;
}

std::vector<std::string> metricColumns() {
  return {"n_truth", "n_pred", "tp_truth", "tp_pred", "sensitivity", "ppv", "f1", "dice",
          "truth_volume_mm3", "pred_volume_mm3", "fp_lesions", "fp_volume_mm3"};
}

namespace {
std::string num(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}
std::string opt(const std::optional<double>& v, const char* undefined) { return v ? num(*v) : undefined; }
}  // namespace

std::vector<std::string> metricCells(const StudyMetrics& m) {
  return {std::to_string(m.nTruth), std::to_string(m.nPred), std::to_string(m.tpTruth), std::to_string(m.tpPred),
          opt(m.sensitivity, ""), opt(m.ppv, ""), opt(m.f1, ""), opt(m.dice, ""),
          num(m.truthVolumeMm3), num(m.predVolumeMm3), std::to_string(m.fpLesions), num(m.fpVolumeMm3)};
}

std::string toJson(const StudyMetrics& m) {
  auto f = [](const std::optional<double>& v) { return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr); };
  nlohmann::ordered_json j;
  j["n_truth"] = m.nTruth;
  j["n_pred"] = m.nPred;
  j["tp_truth"] = m.tpTruth;
  j["tp_pred"] = m.tpPred;
  j["sensitivity"] = f(m.sensitivity);
  j["ppv"] = f(m.ppv);
  j["f1"] = f(m.f1);
  j["dice"] = f(m.dice);
  j["truth_volume_mm3"] = m.truthVolumeMm3;
  j["pred_volume_mm3"] = m.predVolumeMm3;
  j["fp_lesions"] = m.fpLesions;
  j["fp_volume_mm3"] = m.fpVolumeMm3;
  return j.dump(2);
}

}  // namespace mst::metrics
