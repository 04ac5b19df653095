#include "lib/train/Validation.h"

#include <nlohmann/json.hpp>

#include "lib/infer/Predictor.h"
#include "lib/infer/SlidingWindow.h"
#include "lib/metrics/LesionMetrics.h"
#include "lib/train/Outputs.h"

namespace mst::train {

CurvePoint scoreStudies(model::UNet3d& net, const cache::CacheReader& reader, const std::vector<int>& studies,
                        const Size3& patch, const infer::InferConfig& cfg, const metrics::LesionOptions& lo,
                        const torch::Device& device) {
  metrics::LesionOptions anima = lo;
  anima.criterion = metrics::Criterion::kAnima;
  std::map<std::string, std::pair<double, int>> acc;
  auto add = [&](const char* k, const std::optional<double>& v) {
    if (!v) return;
    acc[k].first += *v;
    ++acc[k].second;
  };
  // F1 for selection is defined on every study: 1 with neither true nor predicted lesions, 0 when
  // only one side has lesions (predicting nothing must not escape the mean).
  auto f1 = [](const metrics::StudyMetrics& r) -> std::optional<double> {
    if (r.nTruth == 0 && r.nPred == 0) return 1.0;
    if (r.nTruth == 0 || r.nPred == 0) return 0.0;
    return r.f1;
  };
  for (int s : studies) {
    FloatVolume pv = infer::predictCachedStudy(net, reader, s, patch, cfg, device);
    MaskVolume pred = infer::binarize(pv, cfg.threshold, cfg.minComponentVoxels);
    const MaskVolume truth = reader.readLabel(s);
    auto r = metrics::evaluate(pred, truth, lo);
    add("sensitivity", r.sensitivity);
    add("ppv", r.ppv);
    add("f1", f1(r));
    add("dice", r.dice);
    add("f1_anima", f1(metrics::evaluate(pred, truth, anima)));
  }
  CurvePoint p;
  for (const auto& [k, v] : acc) p.metrics[k] = v.first / v.second;
  return p;
}

void evaluateAndKeepBest(model::UNet3d& net, const cache::CacheReader& reader, const std::vector<int>& valIdx,
                         const std::vector<int>& testIdx, const TrainJob& job, const torch::Device& device,
                         int64_t iteration, const std::filesystem::path& logFile, LoopState& st, ResumeStore& store) {
  const TrainConfig& c = job.train;
  net->eval();
  CurvePoint v = scoreStudies(net, reader, valIdx, c.patch, job.validation, job.evaluation, device);
  v.iteration = iteration;
  v.split = "validation";
  st.curve.push_back(v);
  if (!testIdx.empty()) {
    CurvePoint t = scoreStudies(net, reader, testIdx, c.patch, job.validation, job.evaluation, device);
    t.iteration = iteration;
    t.split = "test";
    st.curve.push_back(t);
  }
  net->train();
  // An undefined metric (e.g. PPV with nothing predicted anywhere) scores 0.
  const auto it = v.metrics.find(c.valMetric);
  const double value = it == v.metrics.end() ? 0.0 : it->second;
  appendLine(logFile, nlohmann::json({{"iteration", iteration}, {"val_" + c.valMetric, value}, {"val", v.metrics}}).dump());
  if (observe(st.stop, c, iteration, value)) {
    st.bestValF1 = value;
    st.bestIteration = iteration;
    store.saveBest(model::stateDict(*net), iteration);
  }
}

}  // namespace mst::train
