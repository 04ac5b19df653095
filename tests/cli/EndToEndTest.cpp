#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "lib/core/Csv.h"
#include "lib/core/Error.h"
#include "tests/support/TestSupport.h"

using namespace mst;
namespace fs = std::filesystem;

namespace {
const fs::path kQuick = fs::path(MST_SOURCE_DIR) / "tests" / "e2e" / "quick.toml";
}  // namespace

// The whole path as a user runs it: run (interrupted, then resumed), dry run,
// report, Slurm script. A quick profile of `make demo`.
TEST(EndToEnd, QuickExperimentRunsResumesReportsAndWritesSlurm) {
  test::TempDir d;
  const std::string common = "'" + kQuick.string() + "' --results '" + (d / "res").string() + "' --data-root '" +
                             (d / "data").string() + "' --threads 2";
  auto r = test::runCli("run " + common + " --dry-run");
  ASSERT_EQ(r.code, 0) << r.err;
  std::vector<std::string> lines;
  std::stringstream ss(r.out);
  for (std::string l; std::getline(ss, l);) lines.push_back(l);
  ASSERT_EQ(lines.size(), 1u + 12u + 1u);
  EXPECT_EQ(lines[0].rfind("source-source_flair-", 0), 0u) << lines[0];
  EXPECT_NE(lines[1].find("\tsweep\tde_novo\tn=3\trepeat=1\tnew\tscratch"), std::string::npos) << lines[1];
  EXPECT_EQ(lines.back(), "summary: quick_flair: 12 of 12 runs will train (12 new, 0 partial, 0 done, 0 reused from "
                          "other experiments), and 1 source model(s)");
  // Stopped after 5 runs (as if killed), then continued by the same command.
  r = test::runCli("run " + common + " --jobs 2 2>&1", "MST_STOP_AFTER_RUNS=5");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("5 runs completed, 0 already done, of 12"), std::string::npos) << r.out;
  r = test::runCli("run " + common + " --jobs 2");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("7 runs completed, 5 already done, of 12"), std::string::npos) << r.out;
  const fs::path exp = d / "res" / "quick_flair";
  int done = 0;
  for (const auto& e : fs::directory_iterator(exp / "runs")) done += fs::exists(e.path() / "run.json");
  EXPECT_EQ(done, 12);
  // A run killed before it recorded its result (no run.json) is redone; the others are kept.
  int removed = 0;
  for (const auto& e : fs::directory_iterator(exp / "runs"))
    if (removed < 3 && e.path().filename().string().rfind("de_novo", 0) == 0) {
      fs::remove(e.path() / "run.json");
      ++removed;
    }
  r = test::runCli("run " + common);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("3 runs completed, 9 already done, of 12"), std::string::npos) << r.out;
  for (const char* f : {"per_study.csv", "summary.csv", "comparisons.csv", "table.md", "table.tex", "table.csv",
                        "report.md", "experiment.json", "sources.csv"})
    EXPECT_TRUE(fs::exists(exp / f)) << f;
  const std::string table = test::readFile(exp / "table.md");
  EXPECT_NE(table.find(" ± "), std::string::npos) << table;
  EXPECT_NE(table.find("(p "), std::string::npos) << table;
  CsvTable summary = readCsv(exp / "summary.csv");
  EXPECT_EQ(summary.header,
            (std::vector<std::string>{"task", "train_size", "arm", "repeat", "metric", "mean", "se", "sd", "n"}));
  // The threshold sweep of the kept probability maps: its point at the configured threshold is the
  // table's (same binarisation, same scoring, same averaging), for every arm, size and metric.
  const CsvTable froc = readCsv(exp / "froc.csv");
  const CsvTable cells = readCsv(exp / "table.csv");
  int matched = 0, cellsShown = 0;
  for (const auto& c : cells.rows) cellsShown += c.at(3) == "sensitivity" || c.at(3) == "ppv";
  for (const auto& f : froc.rows) {
    if (f.at(static_cast<size_t>(froc.column("configured"))) != "1") continue;
    for (const auto& c : cells.rows)
      if (c.at(1) == f.at(1) && c.at(2) == f.at(2) && (c.at(3) == "sensitivity" || c.at(3) == "ppv")) {
        const std::string metric = c.at(3);
        // per_study.csv stores 10 significant digits; the sweep counts exactly.
        EXPECT_NEAR(std::stod(c.at(static_cast<size_t>(cells.column("mean")))),
                    std::stod(f.at(static_cast<size_t>(froc.column(metric)))), 1e-8)
            << metric << " n=" << c.at(1) << " " << c.at(2);
        ++matched;
      }
  }
  EXPECT_EQ(matched, cellsShown) << "every (size, arm) cell of sensitivity and PPV";
  EXPECT_GE(matched, 2 * 2 * 2);
  for (const char* f : {"lesion_level.csv", "strata.csv"}) EXPECT_TRUE(fs::exists(exp / f)) << f;
  // Provenance of a run.
  for (const auto& e : fs::directory_iterator(exp / "runs")) {
    const std::string j = test::readFile(e.path() / "run.json");
    for (const char* k : {"\"git_commit\"", "\"libraries\"", "\"seed\"", "\"config\"", "\"timings_s\"", "\"train_ids\""})
      EXPECT_NE(j.find(k), std::string::npos) << k;
    break;
  }
  // report rebuilds from stored results alone.
  fs::remove(exp / "table.md");
  r = test::runCli("report '" + (d / "res").string() + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(fs::exists(exp / "table.md"));
  // Slurm array script.
  r = test::runCli("slurm '" + kQuick.string() + "' --out '" + (d / "job.sbatch").string() + "' --results '" +
                   (d / "res").string() + "' --shards 4 --data-root '" +
                   (d / "data").string() + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string sb = test::readFile(d / "job.sbatch");
  EXPECT_NE(sb.find("#SBATCH --array=1-4"), std::string::npos) << sb;
  EXPECT_NE(sb.find("--shard \"${SLURM_ARRAY_TASK_ID}/4\""), std::string::npos) << sb;
  // Absolute paths (the job runs wherever Slurm starts it), task logs under results/<name>/slurm/, and
  // the dependent report job printed ready to paste.
  EXPECT_NE(sb.find("--results \"/"), std::string::npos) << sb;
  EXPECT_NE(sb.find("#SBATCH --output=/"), std::string::npos) << sb;
  EXPECT_NE(r.out.find("sbatch --dependency=afterok:$jobid"), std::string::npos) << r.out;
  // A shard runs only its share.
  r = test::runCli("run " + common + " --shard 2/4 --dry-run");
  ASSERT_EQ(r.code, 0);
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1 + 3 + 1);
}

TEST(EndToEnd, BadExperimentExitsTwoAndChangesNothing) {
  test::TempDir d;
  test::writeFile(d / "bad.toml", "name = \"b\"\n[data]\ncohort = \"nope\"\n[test]\ncount = 2\n[sweep]\ntrain_sizes = [1]\n");
  auto r = test::runCli("run '" + (d / "bad.toml").string() + "' --results '" + (d / "res").string() + "'");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("[data] cohort: unknown cohort 'nope'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no [[arms]] defined"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(d / "res"));
}
