#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "lib/cache/Cache.h"
#include "lib/cache/Sampler.h"
#include "lib/core/Error.h"
#include "lib/io/Manifest.h"
#include "lib/io/Nifti.h"
#include "lib/preprocess/Preprocess.h"
#include "lib/synth/Synth.h"
#include "tests/support/CohortFixture.h"

using namespace mst;
namespace fs = std::filesystem;

using test::CohortFixture;
using test::build;
using test::slurp;

TEST(CacheBuild, ConcurrentProcessesBuildOnceAndReadTogether) {
  CohortFixture f("ms_flair", 3);
  const fs::path file = f.dir / "shared.h5";
  // Two processes ask for the same cache at once: the lock lets one build; the other finds it complete.
  const std::string cmd = "preprocess --manifest '" + f.manifest.string() + "' --cache '" + file.string() + "' --threads 1";
  const std::string both = std::string("'") + MST_TEST_BIN + "' " + cmd + " > '" + (f.dir / "a.txt").string() +
                           "' 2>&1 & '" + MST_TEST_BIN + "' " + cmd + " > '" + (f.dir / "b.txt").string() +
                           "' 2>&1; wait";
  ASSERT_EQ(std::system(("bash -c \"" + both + "\"").c_str()), 0);
  const std::string a = slurp(f.dir / "a.txt"), b = slurp(f.dir / "b.txt");
  const bool oneBuilt = (a.find("3 built") != std::string::npos) != (b.find("3 built") != std::string::npos);
  EXPECT_TRUE(oneBuilt) << a << "\n---\n" << b;
  EXPECT_EQ(cache::validateCacheFile(file), "");
  // Readers in two processes and this one at the same time.
  cache::CacheReader here(file);
  const std::string read = std::string("'") + MST_TEST_BIN + "' " + cmd;
  ASSERT_EQ(std::system(("bash -c \"" + read + " >/dev/null 2>&1 & " + read + " >/dev/null 2>&1; wait\"").c_str()), 0);
  EXPECT_EQ(here.readImage(0)[0].data.size(), static_cast<size_t>(here.studies()[0].size[0] * here.studies()[0].size[1] *
                                                                  here.studies()[0].size[2]));
}
