// Validation during training: the held-out studies are predicted with the
// sliding window and scored by mean lesion-wise F1 (criterion "any",
// 26-connectivity; undefined F1s skipped, a study with neither true nor
// predicted lesions counts as 1). The best weights go to the resume store.
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <vector>

#include "lib/cache/Cache.h"
#include "lib/config/InferConfig.h"
#include "lib/model/UNet3d.h"
#include "lib/train/ResumeState.h"
#include "lib/train/Trainer.h"

namespace mst::train {

double validationF1(model::UNet3d& net, const cache::CacheReader& reader, const std::vector<int>& studies,
                    const Size3& patch, const infer::InferConfig& cfg, const torch::Device& device);

// Scores the network after `iteration`, logs it, and keeps the weights when they are the best so far.
void validateAndKeepBest(model::UNet3d& net, const cache::CacheReader& reader, const std::vector<int>& valIdx,
                         const TrainJob& job, const torch::Device& device, int64_t iteration,
                         const std::filesystem::path& logFile, LoopState& st, ResumeStore& store);

}  // namespace mst::train
