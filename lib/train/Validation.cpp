#include "lib/train/Validation.h"

#include <nlohmann/json.hpp>

#include "lib/infer/Predictor.h"
#include "lib/infer/SlidingWindow.h"
#include "lib/metrics/LesionMetrics.h"
#include "lib/train/Outputs.h"

namespace mst::train {

double validationF1(model::UNet3d& net, const cache::CacheReader& reader, const std::vector<int>& studies,
                    const Size3& patch, const infer::InferConfig& cfg, const torch::Device& device) {
  metrics::LesionOptions lo;
  double sum = 0;
  int n = 0;
  for (int s : studies) {
    FloatVolume pv = infer::predictCachedStudy(net, reader, s, patch, cfg, device);
    MaskVolume pred = infer::binarize(pv, cfg.threshold, cfg.minComponentVoxels);
    auto r = metrics::evaluate(pred, reader.readLabel(s), lo);
    if (r.f1) {
      sum += *r.f1;
      ++n;
    } else if (r.nTruth == 0 && r.nPred == 0) {
      sum += 1.0;
      ++n;
    }
  }
  return n ? sum / n : 0.0;
}

void validateAndKeepBest(model::UNet3d& net, const cache::CacheReader& reader, const std::vector<int>& valIdx,
                         const TrainJob& job, const torch::Device& device, int64_t iteration,
                         const std::filesystem::path& logFile, LoopState& st, ResumeStore& store) {
  const double f1 = validationF1(net, reader, valIdx, job.train.patch, job.validation, device);
  net->train();
  appendLine(logFile, nlohmann::json({{"iteration", iteration}, {"val_lesion_f1", f1}}).dump());
  if (f1 > st.bestValF1) {
    st.bestValF1 = f1;
    st.bestIteration = iteration;
    store.saveBest(model::stateDict(*net), iteration);
  }
}

}  // namespace mst::train
