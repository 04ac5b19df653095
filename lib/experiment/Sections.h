// Readers of the experiment file's sections into each module's config
// struct. Every problem is added to the Section's ProblemList.
#pragma once

#include "lib/cache/Sampler.h"
#include "lib/experiment/Toml.h"
#include "lib/preprocess/Preprocess.h"

namespace mst::experiment {

// [preprocess]; channels come from [data] channels.
preprocess::PreprocessConfig readPreprocess(Section& s, const std::vector<std::string>& channels);

}  // namespace mst::experiment
