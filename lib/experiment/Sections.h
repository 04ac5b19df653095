// Readers of the experiment file's sections into the settings structs of
// lib/config, through each struct's fields() (one line per setting there).
// Every problem is added to the Section's ProblemList.
#pragma once

#include "lib/config/EvalConfig.h"
#include "lib/config/InferConfig.h"
#include "lib/config/ModelConfig.h"
#include "lib/config/PreprocessConfig.h"
#include "lib/config/TrainConfig.h"
#include "lib/experiment/Toml.h"

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
