// Every experiment file that ships with the repository plans without an error (the checks
// `mstransfer run --dry-run` makes before any work: settings, inheritance, data, sources and
// their hashes), and the demo's three-repeats variant adds repeats to the demo's own runs.
#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "tests/support/TestSupport.h"

using namespace mst;
namespace fs = std::filesystem;

namespace {
const fs::path kExperiments = fs::path(MST_SOURCE_DIR) / "experiments";

std::string dryRun(const std::vector<fs::path>& files, const test::TempDir& d, int* code) {
  std::string args = "run";
  for (const auto& f : files) args += " '" + f.string() + "'";
  const auto r = test::runCli(args + " --dry-run --results '" + (d / "res").string() + "' --data-root '" +
                              (d / "data").string() + "'");
  *code = r.code;
  return r.out + r.err;
}

// The run ids a dry run lists (first column of its run lines).
std::set<std::string> plannedRuns(const std::string& out) {
  std::set<std::string> ids;
  std::stringstream ss(out);
  for (std::string line; std::getline(ss, line);)
    if (line.find("\tsweep\t") != std::string::npos) ids.insert(line.substr(0, line.find('\t')));
  return ids;
}
}  // namespace

// The task files a user runs: the demo, its three-repeats variant, the ablations and the paper's
// design. (base.toml files are only inherited; experiments/real needs ../shared.)
TEST(ShippedExperiments, EveryTaskFilePlansWithoutAnError) {
  test::TempDir d("mst-shipped");
  int checked = 0;
  for (const char* folder : {"demo", "demo/three_repeats", "ablations", "paper"})
    for (const auto& e : fs::directory_iterator(kExperiments / folder)) {
      if (e.path().extension() != ".toml" || e.path().filename() == "base.toml") continue;
      int code = -1;
      const std::string out = dryRun({e.path()}, d, &code);
      EXPECT_EQ(code, 0) << e.path() << ":\n" << out;
      EXPECT_FALSE(plannedRuns(out).empty()) << e.path() << " plans no sweep run:\n" << out;
      ++checked;
    }
  EXPECT_GE(checked, 13);  // 3 demo + 3 repeats + 4 ablations + 3 paper
}

// Repeat 1 of each cell of the three-repeats variant is the demo's run (same id): after
// `make demo`, `make demo-repeats` trains only repeats 2 and 3.
TEST(ShippedExperiments, ThreeRepeatsExtendTheDemosRuns) {
  test::TempDir d("mst-repeats");
  for (const std::string task : {"flair", "new_lesions", "enhancement"}) {
    int code1 = -1, code3 = -1;
    const auto demo = plannedRuns(dryRun({kExperiments / "demo" / (task + ".toml")}, d, &code1));
    const auto three = plannedRuns(dryRun({kExperiments / "demo" / "three_repeats" / (task + ".toml")}, d, &code3));
    ASSERT_EQ(code1, 0);
    ASSERT_EQ(code3, 0);
    EXPECT_EQ(three.size(), 3 * demo.size()) << task;
    for (const auto& id : demo) EXPECT_EQ(three.count(id), 1u) << task << ": the demo's run " << id << " is not reused";
  }
}
