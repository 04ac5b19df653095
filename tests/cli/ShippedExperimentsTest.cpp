// Every experiment file that ships with the repository plans without an error (the checks
// `mstransfer run --dry-run` makes before any work: settings, inheritance, data, sources and
// their hashes), and the demo has three repeats in every cell.
#include <gtest/gtest.h>

#include <map>
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

// The task files a user runs: the demo, the ablations and the paper's
// design. (base.toml files are only inherited; experiments/real needs ../shared.)
TEST(ShippedExperiments, EveryTaskFilePlansWithoutAnError) {
  test::TempDir d("mst-shipped");
  int checked = 0;
  for (const char* folder : {"demo", "ablations", "paper"})
    for (const auto& e : fs::directory_iterator(kExperiments / folder)) {
      if (e.path().extension() != ".toml" || e.path().filename() == "base.toml") continue;
      int code = -1;
      const std::string out = dryRun({e.path()}, d, &code);
      EXPECT_EQ(code, 0) << e.path() << ":\n" << out;
      EXPECT_FALSE(plannedRuns(out).empty()) << e.path() << " plans no sweep run:\n" << out;
      ++checked;
    }
  EXPECT_GE(checked, 10);  // 3 demo + 4 ablations + 3 paper
}

// `make demo` trains three repeats of every cell (3 sizes x 2 arms), each repeat its own training
// subset and seed: the comparisons' intervals then include the variation between training runs.
TEST(ShippedExperiments, TheDemoTrainsThreeRepeatsOfEveryCell) {
  test::TempDir d("mst-repeats");
  for (const std::string task : {"flair", "new_lesions", "enhancement"}) {
    int code = -1;
    const std::string out = dryRun({kExperiments / "demo" / (task + ".toml")}, d, &code);
    ASSERT_EQ(code, 0) << out;
    EXPECT_EQ(plannedRuns(out).size(), 18u) << task << ":\n" << out;
    std::map<std::string, int> perCell;  // "<arm>-n<size>" -> repeats
    for (const auto& id : plannedRuns(out)) ++perCell[id.substr(0, id.find("-r"))];
    EXPECT_EQ(perCell.size(), 6u) << task;
    for (const auto& [cell, n] : perCell) EXPECT_EQ(n, 3) << task << ": " << cell;
  }
}
