#include "lib/train/Validation.h"

#include <nlohmann/json.hpp>

#include "lib/infer/Predictor.h"
#include "lib/metrics/Components.h"
#include "lib/infer/SlidingWindow.h"
#include "lib/metrics/LesionMetrics.h"
#include "lib/train/Outputs.h"

namespace mst::train {

namespace {

// F1 for selection is defined on every study: 1 with neither true nor predicted lesions, 0 when
// only one side has lesions (predicting nothing must not escape the mean).
std::optional<double> selectionF1(const metrics::StudyMetrics& r) {
  if (r.nTruth == 0 && r.nPred == 0) return 1.0;
  if (r.nTruth == 0 || r.nPred == 0) return 0.0;
  return r.f1;
}

// Lesion counts summed over studies: the pooled metrics treat the validation set as one pool of
// lesions, so studies without any true lesion count only through their false positives.
struct Pool {
  int64_t nTruth = 0, tpTruth = 0, nPred = 0, tpPred = 0;
  void add(const metrics::StudyMetrics& r) {
    nTruth += r.nTruth;
    tpTruth += r.tpTruth;
    nPred += r.nPred;
    tpPred += r.tpPred;
  }
};

// Mean metrics over the studies' probability maps with components below `minVoxels` removed,
// and the pooled lesion-wise ones (sensitivity_pooled, ppv_pooled, f1_pooled, f1_anima_pooled).
CurvePoint scoreMaps(const std::vector<FloatVolume>& maps, const std::vector<MaskVolume>& truths,
                     const infer::InferConfig& cfg, const metrics::LesionOptions& lo, int64_t minVoxels) {
  metrics::LesionOptions anima = lo;
  anima.criterion = metrics::Criterion::kAnima;
  std::map<std::string, std::pair<double, int>> acc;
  auto add = [&](const char* k, const std::optional<double>& v) {
    if (!v) return;
    acc[k].first += *v;
    ++acc[k].second;
  };
  Pool any, overlap;
  for (size_t s = 0; s < maps.size(); ++s) {
    const MaskVolume pred = metrics::binarize(maps[s], cfg.threshold, minVoxels);
    const auto r = metrics::evaluate(pred, truths[s], lo);
    const auto ra = metrics::evaluate(pred, truths[s], anima);
    add("sensitivity", r.sensitivity);
    add("ppv", r.ppv);
    add("f1", selectionF1(r));
    add("dice", r.dice);
    add("f1_anima", selectionF1(ra));
    any.add(r);
    overlap.add(ra);
  }
  CurvePoint p;
  for (const auto& [k, v] : acc) p.metrics[k] = v.first / v.second;
  const auto pooled = pooledLesionMetrics(any.nTruth, any.tpTruth, any.nPred, any.tpPred);
  for (const auto& [k, v] : pooled) p.metrics[k + "_pooled"] = v;
  p.metrics["f1_anima_pooled"] =
      pooledLesionMetrics(overlap.nTruth, overlap.tpTruth, overlap.nPred, overlap.tpPred).at("f1");
  return p;
}

}  // namespace

std::map<std::string, double> pooledLesionMetrics(int64_t nTruth, int64_t tpTruth, int64_t nPred, int64_t tpPred) {
  const double sens = nTruth > 0 ? static_cast<double>(tpTruth) / static_cast<double>(nTruth) : 0.0;
  const double ppv = nPred > 0 ? static_cast<double>(tpPred) / static_cast<double>(nPred) : 0.0;
  double f1 = sens + ppv > 0 ? 2 * sens * ppv / (sens + ppv) : 0.0;
  if (nTruth == 0 && nPred == 0) f1 = 1.0;  // nothing to find and nothing found
  return {{"sensitivity", sens}, {"ppv", ppv}, {"f1", f1}};
}

double selectionValue(const CurvePoint& p, const std::string& metric) {
  const auto it = p.metrics.find(metric);
  return it == p.metrics.end() ? 0.0 : it->second;  // undefined everywhere (e.g. PPV, nothing predicted): 0
}

CurvePoint scoreStudies(model::UNet3d& net, const cache::CacheReader& reader, const std::vector<int>& studies,
                        const Size3& patch, const infer::InferConfig& cfg, const metrics::LesionOptions& lo,
                        const torch::Device& device, const std::vector<int64_t>& minSizes, const std::string& metric) {
  std::vector<FloatVolume> maps;
  std::vector<MaskVolume> truths;
  const Size3 window = cfg.windowFor(patch);
  for (int s : studies) {
    maps.push_back(infer::predictCachedStudy(net, reader, s, window, cfg, device));
    truths.push_back(reader.readLabel(s));
  }
  CurvePoint best;
  double bestValue = -1;
  for (int64_t m : minSizes.empty() ? std::vector<int64_t>{cfg.minComponentVoxels} : minSizes) {
    CurvePoint p = scoreMaps(maps, truths, cfg, lo, m);
    const double v = selectionValue(p, metric);
    if (v > bestValue) {  // ties: the first (smallest, when the choices are ascending) size
      bestValue = v;
      best = p;
      if (!minSizes.empty()) best.metrics["min_component_voxels"] = static_cast<double>(m);
    }
  }
  return best;
}

void evaluateAndKeepBest(model::UNet3d& net, const cache::CacheReader& reader, const std::vector<int>& valIdx,
                         const std::vector<int>& testIdx, const TrainJob& job, const torch::Device& device,
                         int64_t iteration, const std::filesystem::path& logFile, LoopState& st, ResumeStore& store) {
  const TrainConfig& c = job.train;
  const std::vector<int64_t> choices(job.validation.minComponentChoices.begin(), job.validation.minComponentChoices.end());
  net->eval();
  CurvePoint v = scoreStudies(net, reader, valIdx, c.patch, job.validation, job.evaluation, device, choices, c.valMetric);
  v.iteration = iteration;
  v.split = "validation";
  st.curve.push_back(v);
  if (!testIdx.empty()) {  // descriptive: at the size validation chose, never used for selection
    std::vector<int64_t> chosen;
    if (v.metrics.count("min_component_voxels")) chosen = {static_cast<int64_t>(v.metrics.at("min_component_voxels"))};
    CurvePoint t = scoreStudies(net, reader, testIdx, c.patch, job.validation, job.evaluation, device, chosen, c.valMetric);
    t.iteration = iteration;
    t.split = "test";
    st.curve.push_back(t);
  }
  net->train();
  const double value = selectionValue(v, c.valMetric);
  appendLine(logFile, nlohmann::json({{"iteration", iteration}, {"val_" + c.valMetric, value}, {"val", v.metrics}}).dump());
  const auto sens = v.metrics.find("sensitivity");
  const bool findsLesions = sens != v.metrics.end() && sens->second > 0;
  if (observe(st.stop, c, iteration, value, findsLesions)) {
    st.bestValF1 = value;
    st.bestIteration = iteration;
    store.saveBest(model::stateDict(*net), iteration);
  }
}

}  // namespace mst::train
