// Evaluation during training: studies of a split are predicted with the
// sliding window (the run's [infer] settings) and scored with the lesion-wise
// metrics (criterion "any", 26-connectivity). Each metric is the mean over
// the studies where it is defined; F1 is defined on every study (1 with
// neither true nor predicted lesions, 0 when only one side has any). The
// *_pooled metrics count lesions over all the studies instead, so studies
// without targets cannot carry an empty prediction to a high score. The validation metric drives model selection
// and early stopping (EarlyStop.h); test scores are descriptive only.
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "lib/cache/Cache.h"
#include "lib/config/InferConfig.h"
#include "lib/model/UNet3d.h"
#include "lib/train/EarlyStop.h"
#include "lib/train/ResumeState.h"
#include "lib/train/Trainer.h"

namespace mst::train {

// Means of sensitivity, ppv, f1, dice under `lesion`, and f1_anima (the same with the Anima criterion);
// and the same pooled over the studies' lesions: sensitivity_pooled, ppv_pooled, f1_pooled, f1_anima_pooled.
// With `minSizes`, masks are scored at each minimum component size and the point with the best
// `metric` is returned, its size as metrics["min_component_voxels"]; else at cfg.minComponentVoxels.
CurvePoint scoreStudies(model::UNet3d& net, const cache::CacheReader& reader, const std::vector<int>& studies,
                        const Size3& patch, const infer::InferConfig& cfg, const metrics::LesionOptions& lesion,
                        const torch::Device& device, const std::vector<int64_t>& minSizes, const std::string& metric);
// Lesion-wise metrics of one pool of lesions: sensitivity = tpTruth / nTruth, ppv = tpPred / nPred
// (0 when there is nothing to divide by), f1 their harmonic mean (1 with no true and no predicted lesion).
std::map<std::string, double> pooledLesionMetrics(int64_t nTruth, int64_t tpTruth, int64_t nPred, int64_t tpPred);
// The value of `metric` at a point; 0 when it was undefined on every study.
double selectionValue(const CurvePoint& p, const std::string& metric);

// Evaluates after `iteration` (validation, and the test studies when asked), appends to the curve and
// the log, applies the early-stopping rule and keeps the weights when they are the best so far.
void evaluateAndKeepBest(model::UNet3d& net, const cache::CacheReader& reader, const std::vector<int>& valIdx,
                         const std::vector<int>& testIdx, const TrainJob& job, const torch::Device& device,
                         int64_t iteration, const std::filesystem::path& logFile, LoopState& st, ResumeStore& store);

}  // namespace mst::train
