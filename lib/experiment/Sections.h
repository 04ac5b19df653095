// Readers of the experiment file's sections into each module's config
// struct. Every problem is added to the Section's ProblemList.
#pragma once

#include "lib/cache/Sampler.h"
#include "lib/infer/InferConfig.h"
#include "lib/metrics/LesionMetrics.h"
#include "lib/model/ModelOptions.h"
#include "lib/train/Trainer.h"
#include "lib/experiment/Toml.h"
#include "lib/preprocess/Preprocess.h"

namespace mst::experiment {

// [preprocess]; channels come from [data] channels.
preprocess::PreprocessConfig readPreprocess(Section& s, const std::vector<std::string>& channels);

// [model]; in_channels comes from the number of channels.
model::UNetOptions readModel(Section& s, int inChannels);

// [train] (also used for an arm's overrides and [source.pretrain]): starts from `base`.
train::TrainConfig readTrain(Section& s, const train::TrainConfig& base);

// [infer]
infer::InferConfig readInfer(Section& s, const infer::InferConfig& base);

// [eval]
metrics::LesionOptions readEval(Section& s);

}  // namespace mst::experiment
