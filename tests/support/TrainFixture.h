// A cache of three synthetic source studies and a small training job on it:
// the fixture of the train and infer tests (links mst_train and mst_synth).
#pragma once

#include "lib/cache/Cache.h"
#include "lib/io/Manifest.h"
#include "lib/synth/Synth.h"
#include "lib/train/Threads.h"
#include "lib/train/Trainer.h"
#include "tests/support/TestSupport.h"

namespace mst::test {

struct TrainFixture {
  TempDir dir{"mst-train"};
  fs::path manifest, cache;
  TrainFixture() {
    train::setThreads(1);  // bit-exact comparisons need a fixed thread count
    synth::CohortOptions o;
    o.cohort = "source_flair";
    o.count = 3;
    o.seed = 8;
    o.shape = {48, 58, 48};
    o.spacingMm = 3.33;
    manifest = synth::generateCohort(o, dir.path(), false);
    preprocess::PreprocessConfig c;
    c.channels = {"flair"};
    cache = dir / "c.h5";
    cache::BuildOptions bo;
    bo.progress = false;
    cache::buildCache(io::readManifest(manifest), c, cache, bo);
  }
  train::TrainJob job(const std::string& out, int64_t iterations) const {
    train::TrainJob j;
    j.cache = cache;
    cache::CacheReader r(cache);
    for (const auto& s : r.studies()) j.trainIds.push_back(s.id);
    j.valIds = {j.trainIds.back()};
    j.model.baseFilters = 4;
    j.model.depth = 2;
    j.preprocess.channels = {"flair"};
    j.train.iterations = iterations;
    j.train.patch = {16, 16, 16};
    j.train.checkpointEvery = 1;
    j.train.valEvery = 0;
    j.train.samplerThreads = 1;
    j.train.augment.rotateProb = 0.5;
    j.outDir = dir / out;
    j.progress = false;
    return j;
  }
};


}  // namespace mst::test
