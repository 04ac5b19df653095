// The same experiment gives byte-identical per_study.csv however it is
// scheduled or interrupted (issue: parallel runs shared LibTorch's generator;
// a SIGKILL and resume changed a published cell; a truncated checkpoint
// stopped the experiment). Real processes are started and killed with
// SIGKILL: no in-process interruption hook is involved.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <thread>

#include "tests/support/TestSupport.h"

using namespace mst;
namespace fs = std::filesystem;

namespace {

const fs::path kTiny = test::tinyExperiment();
std::string slurp(const fs::path& p) { return test::readFile(p); }

// Starts `mstransfer ARGS` in the background (output appended to `log`); returns its pid.
pid_t startCli(const std::vector<std::string>& args, const fs::path& log) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::vector<std::string> all = {MST_TEST_BIN};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    FILE* f = std::fopen(log.c_str(), "a");
    if (f) {
      ::dup2(fileno(f), 1);
      ::dup2(fileno(f), 2);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

// Polls `ready` every 20 ms (at most `limit`); SIGKILLs the process when it holds.
// Returns false when the process ended by itself first.
bool killWhen(pid_t pid, const std::function<bool()>& ready, std::chrono::seconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  int status = 0;
  while (std::chrono::steady_clock::now() < end) {
    if (::waitpid(pid, &status, WNOHANG) == pid) return false;
    if (ready()) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return true;
}

std::vector<fs::path> filesNamed(const fs::path& root, const std::string& prefix, const std::string& suffix) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (!fs::exists(root)) return out;
  for (auto it = fs::recursive_directory_iterator(root, ec); it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    const std::string n = it->path().filename().string();
    if (n.rfind(prefix, 0) == 0 && n.size() >= suffix.size() && n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0)
      out.push_back(it->path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

int countDone(const fs::path& runs) {
  int n = 0;
  std::error_code ec;
  if (!fs::exists(runs)) return 0;
  for (const auto& e : fs::directory_iterator(runs, ec)) n += fs::exists(e.path() / "run.json");
  return n;
}

bool anyProcessRunning(const std::string& pattern) {
  return std::system(("pgrep -f '" + pattern + "' >/dev/null 2>&1").c_str()) == 0;
}

}  // namespace

TEST(Reproducibility, TinyExperimentGivesIdenticalPerStudyCsvInFourWays) {
  test::TempDir d("mst-repro");
  const std::string data = (d / "data").string();
  auto run = [&](const std::string& results, const std::string& extra) {
    return test::runCli("run '" + kTiny.string() + "' --results '" + results + "' --data-root '" + data + "' " + extra +
                        " --no-progress");
  };
  auto perStudy = [&](const std::string& results) { return slurp(fs::path(results) / "tiny_flair" / "per_study.csv"); };

  // 1: --jobs 2 --threads 2 (runs execute concurrently, one thread each).
  auto r = run((d / "a").string(), "--jobs 2 --threads 2");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string reference = perStudy((d / "a").string());
  ASSERT_GT(std::count(reference.begin(), reference.end(), '\n'), 8 * 4);  // 8 runs x 4 test studies + header

  // 2: one run at a time, one thread: a second, independent run of the same configuration and per-run
  // thread count in another order (which also covers plain run-to-run repeatability).
  r = run((d / "c").string(), "--jobs 1 --threads 1");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(perStudy((d / "c").string()), reference) << "--jobs 1 --threads 1 differs";

  // 3: two shards, then the report.
  r = run((d / "s").string(), "--jobs 1 --threads 1 --shard 2/2");
  ASSERT_EQ(r.code, 0) << r.err;
  r = test::runCli("report '" + (d / "s" / "tiny_flair").string() + "'");
  EXPECT_EQ(r.code, 2) << "a report with half the runs missing must refuse";
  EXPECT_NE(r.err.find("planned run(s) have no complete results"), std::string::npos) << r.err;
  r = run((d / "s").string(), "--jobs 1 --threads 1 --shard 1/2");
  ASSERT_EQ(r.code, 0) << r.err;
  r = test::runCli("report '" + (d / "s" / "tiny_flair").string() + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(perStudy((d / "s").string()), reference) << "--shard 1/2 + 2/2 + report differs";

  // 4: SIGKILL once a resume checkpoint exists; truncate that checkpoint to 100 bytes (a disk
  // fault); SIGKILL again while sweep runs are training; then run to the end.
  const fs::path k = d / "k", log = d / "k.log";
  const std::vector<std::string> args = {"run", kTiny.string(), "--results", k.string(), "--data-root", data,
                                         "--jobs", "2", "--threads", "2", "--no-progress"};
  pid_t pid = startCli(args, log);
  ASSERT_TRUE(killWhen(pid, [&] { return !filesNamed(k, "state.json", "state.json").empty(); }, std::chrono::seconds(120)))
      << slurp(log);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(anyProcessRunning("--results " + k.string())) << "children outlived the killed runner";
  // The model file of the newest committed generation (state.json lists generations newest first,
  // keys sorted: its first "gen-" name is that generation's model). An older or uncommitted file
  // might never be read again.
  const auto states = filesNamed(k, "state.json", "state.json");
  ASSERT_FALSE(states.empty());
  const std::string state = slurp(states.front());
  const auto at = state.find("\"gen-");
  ASSERT_NE(at, std::string::npos) << state;
  const fs::path victim = states.front().parent_path() / state.substr(at + 1, state.find('"', at + 1) - at - 1);
  ASSERT_TRUE(fs::exists(victim)) << victim;
  fs::resize_file(victim, 100);
  pid = startCli(args, log);
  ASSERT_TRUE(killWhen(pid, [&] { return countDone(k / "tiny_flair" / "runs") >= 2 && !filesNamed(k / "_shared" / "runs", "gen-", ".optim.pt").empty(); },
                       std::chrono::seconds(180)))
      << slurp(log);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(anyProcessRunning("--results " + k.string()));
  r = run(k.string(), "--jobs 2 --threads 2");
  ASSERT_EQ(r.code, 0) << r.err << slurp(log);
  std::string logs = slurp(log) + r.err;  // the runner's output, and each sweep run's own log
  for (const auto& f : filesNamed(k / "_shared", "run.log", "run.log")) logs += slurp(f);
  EXPECT_NE(logs.find("'" + victim.string() + "': truncated or altered: expected"), std::string::npos)
      << "the truncated checkpoint was not named:\n" << logs;
  EXPECT_EQ(perStudy(k.string()), reference) << "killed twice, with a truncated checkpoint, then resumed: differs";
}

// The report reads exactly the current plan: runs of earlier settings are ignored (and
// counted), a planned run whose results are incomplete is named and nothing is written.
TEST(Reproducibility, ReportReadsExactlyThePlannedCompleteRuns) {
  test::TempDir d("mst-plan");
  const std::string data = (d / "data").string(), res = (d / "res").string();
  auto r = test::runCli("run '" + kTiny.string() + "' --results '" + res + "' --data-root '" + data +
                        "' --jobs 2 --threads 2 --no-progress");
  ASSERT_EQ(r.code, 0) << r.err;
  const fs::path exp = d / "res" / "tiny_flair";
  const std::string reference = slurp(exp / "per_study.csv");
  // A changed setting gives a new plan: the old runs stay on disk, out of the tables.
  test::writeFile(d / "changed.toml", "inherit = \"" + kTiny.string() + "\"\n[sweep]\ntrain_sizes = [2]\nrepeats = 1\n");
  r = test::runCli("run '" + (d / "changed.toml").string() + "' --results '" + res + "' --data-root '" + data +
                   "' --jobs 2 --threads 2 --no-progress");
  ASSERT_EQ(r.code, 0) << r.err;
  r = test::runCli("report '" + exp.string() + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find(": 2 runs (6 stale run folder(s) of earlier settings ignored)"), std::string::npos) << r.out;
  // Back to the original plan: the tables are the original ones, exactly.
  r = test::runCli("run '" + kTiny.string() + "' --results '" + res + "' --data-root '" + data + "' --no-progress");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("0 runs completed, 8 already done, of 8"), std::string::npos) << r.out;
  EXPECT_EQ(slurp(exp / "per_study.csv"), reference);
  // A run folder without its per_study.csv is incomplete: named by the report and the dry run.
  fs::path victim;
  for (const auto& e : fs::directory_iterator(exp / "runs"))
    if (e.path().filename().string().rfind("de_novo-n4-r1", 0) == 0) victim = e.path();
  ASSERT_FALSE(victim.empty());
  fs::remove(victim / "per_study.csv");
  r = test::runCli("report '" + exp.string() + "'");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("1 planned run(s) have no complete results"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find((victim / "per_study.csv").string() + "' is missing"), std::string::npos) << r.err;
  EXPECT_EQ(slurp(exp / "per_study.csv"), reference) << "an incomplete report must write nothing";
  r = test::runCli("run '" + kTiny.string() + "' --results '" + res + "' --data-root '" + data + "' --dry-run");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find(victim.filename().string() + "\tsweep\tde_novo\tn=4\trepeat=1\tpartial"), std::string::npos) << r.out;
  // A corrupt run.json names its file (exit 2), and the next run redoes that run only.
  test::writeFile(victim / "run.json", "{ not json");
  r = test::runCli("report '" + exp.string() + "'");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find((victim / "run.json").string() + "' is not valid JSON"), std::string::npos) << r.err;
  r = test::runCli("run '" + kTiny.string() + "' --results '" + res + "' --data-root '" + data + "' --no-progress");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("1 runs completed, 7 already done, of 8"), std::string::npos) << r.out;
  EXPECT_EQ(slurp(exp / "per_study.csv"), reference);
}
