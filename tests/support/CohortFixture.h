// A small synthetic cohort on disk (48x58x48 at 3.33 mm), and cache builds of
// it: the fixture of the preprocess, cache and CLI tests (links mst_synth).
#pragma once

#include <fstream>
#include <iterator>

#include "lib/cache/Cache.h"
#include "lib/io/Manifest.h"
#include "lib/preprocess/Preprocess.h"
#include "lib/synth/Synth.h"
#include "tests/support/TestSupport.h"

namespace mst::test {

struct CohortFixture {
  TempDir dir{"mst-cache"};
  fs::path manifest;
  explicit CohortFixture(const std::string& cohort = "ms_flair", int count = 4) {
    synth::CohortOptions o;
    o.cohort = cohort;
    o.count = count;
    o.seed = 3;
    o.shape = {48, 58, 48};
    o.spacingMm = 3.33;
    manifest = synth::generateCohort(o, dir.path(), false);
  }
  preprocess::PreprocessConfig config(const std::vector<std::string>& ch = {"flair"}) const {
    preprocess::PreprocessConfig c;
    c.channels = ch;
    c.chunk = {16, 16, 16};
    return c;
  }
};

inline cache::BuildReport build(const CohortFixture& f, const preprocess::PreprocessConfig& c, const fs::path& file) {
  cache::BuildOptions o;
  o.progress = false;
  o.threads = 2;
  return cache::buildCache(io::readManifest(f.manifest), c, file, o);
}

inline std::string slurp(const fs::path& p) { return readFile(p); }

}  // namespace mst::test
