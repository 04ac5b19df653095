// An ablation arm is one block and costs only its own runs: [[arms]] add up on
// inheritance, runs are addressed by what makes them and reused across
// experiments, replace_arms keeps the old semantics, and a changed setting is
// never reused.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "lib/core/Csv.h"
#include "tests/support/TestSupport.h"

using namespace mst;
namespace fs = std::filesystem;

namespace {

const fs::path kTiny = test::tinyExperiment();
std::string slurp(const fs::path& p) { return test::readFile(p); }

// Lines of a per_study.csv whose arm column (3rd) is one of `arms`, without the task column.
std::vector<std::string> rowsOfArms(const fs::path& csv, const std::set<std::string>& arms) {
  std::vector<std::string> out;
  std::stringstream ss(slurp(csv));
  std::string line;
  std::getline(ss, line);  // header
  while (std::getline(ss, line)) {
    const auto c1 = line.find(','), c2 = line.find(',', c1 + 1), c3 = line.find(',', c2 + 1);
    if (arms.count(line.substr(c2 + 1, c3 - c2 - 1))) out.push_back(line.substr(c1 + 1));
  }
  return out;
}

int countLines(const std::string& text, const std::string& fragment) {
  int n = 0;
  std::stringstream ss(text);
  for (std::string l; std::getline(ss, l);) n += l.find(fragment) != std::string::npos;
  return n;
}

}  // namespace

TEST(Ablation, OneBlockTrainsOnlyTheNewArmAndReusesTheRest) {
  test::TempDir d("mst-ablation");
  const std::string common = " --results '" + (d / "res").string() + "' --data-root '" + (d / "data").string() + "'";
  // Writes FILE inheriting the tiny experiment with BODY appended, and dry-runs it.
  auto dryRun = [&](const std::string& file, const std::string& body) {
    test::writeFile(d / file, "inherit = \"" + kTiny.string() + "\"\n" + body);
    return test::runCli("run '" + (d / file).string() + "'" + common + " --dry-run");
  };
  auto r = test::runCli("run '" + kTiny.string() + "'" + common + " --jobs 2 --threads 2 --no-progress");
  ASSERT_EQ(r.code, 0) << r.err;

  // One block: a third arm.
  r = dryRun("ablation.toml", "name = \"tiny_ablation\"\n\n[[arms]]\nname = \"frozen_encoder\"\n"
                              "init = \"source\"\nfreeze = [\"encoder\"]\ncompare_to = \"de_novo\"\n");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(countLines(r.out, "\treused (from tiny_flair)\t"), 8) << r.out;
  EXPECT_EQ(countLines(r.out, "\tsweep\tfrozen_encoder\t"), 4) << r.out;
  EXPECT_EQ(countLines(r.out, "\tnew\tsource=source-source_flair-"), 4) << r.out;
  EXPECT_EQ(countLines(r.out, "\tsource\tdefault\t"), 1);
  EXPECT_EQ(countLines(r.out, "\tdone\t(shared by all shards and experiments)"), 1) << "the source model is reused";
  EXPECT_NE(r.out.find("summary: tiny_ablation: 4 of 12 runs will train (4 new, 0 partial, 0 done, 8 reused from other "
                       "experiments), and 0 source model(s)"),
            std::string::npos)
      << r.out;

  r = test::runCli("run '" + (d / "ablation.toml").string() + "'" + common + " --jobs 2 --threads 2 --no-progress");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("4 runs completed, 8 already done (8 reused from other experiments), of 12"), std::string::npos)
      << r.out;
  const fs::path abl = d / "res" / "tiny_ablation", tiny = d / "res" / "tiny_flair";
  const std::string table = slurp(abl / "table.md");
  for (const char* arm : {"fine_tuned sensitivity", "de_novo sensitivity", "frozen_encoder sensitivity"})
    EXPECT_NE(table.find(arm), std::string::npos) << table;
  EXPECT_NE(table.find("p-values of each arm against fine_tuned; frozen_encoder against de_novo"), std::string::npos)
      << table;
  // The inherited arms' per-study values are the tiny experiment's, exactly.
  const auto inherited = rowsOfArms(tiny / "per_study.csv", {"fine_tuned", "de_novo"});
  EXPECT_EQ(inherited.size(), 8u * 4u);
  EXPECT_EQ(rowsOfArms(abl / "per_study.csv", {"fine_tuned", "de_novo"}), inherited);
  EXPECT_EQ(rowsOfArms(abl / "per_study.csv", {"frozen_encoder"}).size(), 4u * 4u);
  // comparisons.csv: frozen_encoder against its compare_to arm (de_novo), de_novo against the reference.
  CsvTable cmp = readCsv(abl / "comparisons.csv");
  std::set<std::string> pairs;
  for (const auto& row : cmp.rows)
    pairs.insert(row[static_cast<size_t>(cmp.column("arm_a"))] + " vs " + row[static_cast<size_t>(cmp.column("arm_b"))]);
  EXPECT_EQ(pairs, (std::set<std::string>{"de_novo vs frozen_encoder", "fine_tuned vs de_novo"}));

  // replace_arms = true: the old, replacing semantics (one arm).
  r = dryRun("replace.toml", "name = \"tiny_replace\"\nreplace_arms = true\n\n[[arms]]\nname = \"de_novo\"\n"
                             "init = \"scratch\"\n");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(countLines(r.out, "\tsweep\t"), 4) << r.out;
  EXPECT_EQ(countLines(r.out, "\tsweep\tde_novo\t"), 4) << r.out;
  EXPECT_EQ(countLines(r.out, "\treused (from tiny_flair)\t"), 4) << r.out;

  // A changed setting of an inherited arm gives new runs for that arm, never reuse.
  r = dryRun("changed.toml", "name = \"tiny_changed\"\n\n[[arms]]\nname = \"de_novo\"\nlr = 0.001\n");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(countLines(r.out, "\tsweep\tde_novo\t"), 4) << r.out;
  EXPECT_EQ(countLines(r.out, "\tsweep\tde_novo\tn=2\trepeat=1\tnew\tscratch"), 1) << r.out;
  EXPECT_EQ(countLines(r.out, "\tnew\tscratch"), 4) << r.out;
  EXPECT_EQ(countLines(r.out, "\tsweep\tfine_tuned\t"), 4) << r.out;
  EXPECT_EQ(countLines(r.out, "\treused (from tiny_flair)\tsource="), 4) << r.out;
  // A bad compare_to is reported before any work.
  r = dryRun("bad.toml", "name = \"tiny_bad\"\n[[arms]]\nname = \"x\"\ncompare_to = \"nope\"\n");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("[[arms]] 'x': compare_to: expected the name of another arm, got 'nope'"), std::string::npos)
      << r.err;
}

// Experiments given together share one queue: every run trains once (the shared ones for both), each
// experiment gets its report, and the inherited arms' results are the same for both experiments.
TEST(Ablation, ExperimentsGivenTogetherShareOneQueue) {
  test::TempDir d("mst-queue");
  test::writeFile(d / "ablation.toml", "inherit = \"" + kTiny.string() +
                                           "\"\nname = \"tiny_ablation\"\n\n[[arms]]\nname = \"frozen_encoder\"\n"
                                           "init = \"source\"\nfreeze = [\"encoder\"]\ncompare_to = \"de_novo\"\n");
  const std::string common = " --results '" + (d / "res").string() + "' --data-root '" + (d / "data").string() + "'";
  auto r = test::runCli("run '" + kTiny.string() + "' '" + (d / "ablation.toml").string() + "'" + common +
                        " --jobs 2 --threads 2 --no-progress");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("2 experiments: 20 runs (0 already done or reused, 12 to train) and 1 source model(s)"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(countLines(r.err, " done ("), 12) << r.err;
  EXPECT_NE(r.out.find("tiny_flair: 8 runs completed, 0 already done, of 8"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("tiny_ablation: 4 runs completed, 8 already done (8 reused from other experiments), of 12"),
            std::string::npos)
      << r.out;
  const fs::path abl = d / "res" / "tiny_ablation", tiny = d / "res" / "tiny_flair";
  EXPECT_TRUE(fs::exists(abl / "table.md"));
  EXPECT_TRUE(fs::exists(tiny / "table.md"));
  const auto inherited = rowsOfArms(tiny / "per_study.csv", {"fine_tuned", "de_novo"});
  EXPECT_EQ(inherited.size(), 8u * 4u);
  EXPECT_EQ(rowsOfArms(abl / "per_study.csv", {"fine_tuned", "de_novo"}), inherited);
  EXPECT_EQ(rowsOfArms(abl / "per_study.csv", {"frozen_encoder"}).size(), 4u * 4u);

  // Both files are checked before any work, and every problem is reported at once.
  test::writeFile(d / "bad1.toml", "inherit = \"" + kTiny.string() + "\"\nname = \"b1\"\n[train]\nlr = -1\n");
  test::writeFile(d / "bad2.toml", "inherit = \"" + kTiny.string() + "\"\nname = \"b2\"\n[trian]\n");
  r = test::runCli("run '" + (d / "bad1.toml").string() + "' '" + (d / "bad2.toml").string() + "'" + common);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("bad1.toml"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("[train] lr"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("bad2.toml"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("did you mean [train]"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(d / "res" / "b1"));
}
