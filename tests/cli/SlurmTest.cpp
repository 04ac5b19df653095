// The cluster path against a live scheduler: tools/local_slurm.sh brings up a one-node
// Slurm (munged, slurmctld, slurmd from Debian's packages); `mstransfer slurm --submit`
// sends the tiny experiment as a 2-task array on a fresh data root, with the report job
// dependent on it; the result must equal a local `mstransfer run` byte for byte (issue 8's
// reproducibility across shards and processes). Skipped, saying why, only when Slurm cannot
// run on the machine (`make test` installs it: make deps-slurm).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <regex>
#include <thread>

#include "tests/support/TestSupport.h"

using namespace mst;
namespace fs = std::filesystem;

namespace {

std::string shell(const std::string& cmd, int* code = nullptr) {
  test::TempDir t("mst-sh");
  const int status = std::system((cmd + " > '" + (t / "o").string() + "' 2>&1").c_str());
  if (code) *code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return test::readFile(t / "o");
}

double seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Stops the cluster this test started, whatever happens.
struct Cluster {
  std::string env;
  ~Cluster() { shell(env + " bash '" MST_SOURCE_DIR "/tools/local_slurm.sh' down"); }
};

}  // namespace

TEST(Slurm, TinyExperimentThroughALiveSchedulerEqualsALocalRun) {
  test::TempDir d("mst-slurm");
  Cluster cluster{"MST_SLURM_DIR='" + (d / "cluster").string() + "' MST_SLURM_PORT=16917"};
  int code = 0;
  const std::string up = shell(cluster.env + " bash '" MST_SOURCE_DIR "/tools/local_slurm.sh' up", &code);
  if (code == 3) GTEST_SKIP() << up;
  ASSERT_EQ(code, 0) << up;
  const std::string slurmEnv = "SLURM_CONF='" + (d / "cluster" / "slurm.conf").string() + "'";
  const std::string tiny = test::tinyExperiment().string(), data = (d / "data").string();

  // Through Slurm first, on a fresh data root: both tasks plan at once, one generates the cohorts.
  auto t0 = std::chrono::steady_clock::now();
  auto r = test::runCli("slurm '" + tiny + "' --submit --shards 2 --cpus 1 --mem 1G --time 00:20:00 --results '" +
                            (d / "viaslurm").string() + "' --data-root '" + data + "'",
                        slurmEnv);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex("array job (\\d+): 2 tasks"))) << r.out;
  const std::string arrayId = m[1];
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex("report job (\\d+): after"))) << r.out;
  const std::string reportId = m[1];
  for (;;) {  // squeue lists pending and running jobs only
    const std::string q = shell(slurmEnv + " squeue -h -j " + arrayId + "," + reportId, &code);
    if (q.find_first_not_of(" \n") == std::string::npos) break;
    ASSERT_LT(seconds(t0), 900) << "jobs still queued or running after 15 min:\n" << q;
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  const double viaSlurm = seconds(t0);
  const fs::path exp = d / "viaslurm" / "tiny_flair";
  std::string logs;
  for (const auto& e : fs::directory_iterator(exp / "slurm"))
    if (e.path().extension() == ".log") logs += "--- " + e.path().string() + "\n" + test::readFile(e.path());
  ASSERT_TRUE(fs::exists(exp / "table.md")) << "the report job did not write the tables\n" << logs;
  EXPECT_TRUE(fs::exists(exp / "slurm" / (arrayId + "_1.log"))) << logs;
  EXPECT_TRUE(fs::exists(exp / "slurm" / (arrayId + "_2.log"))) << logs;
  EXPECT_TRUE(fs::exists(exp / "slurm" / ("report-" + reportId + ".log"))) << logs;

  // The same experiment locally: the same per-study results, byte for byte.
  t0 = std::chrono::steady_clock::now();
  r = test::runCli("run '" + tiny + "' --results '" + (d / "local").string() + "' --data-root '" + data +
                   "' --jobs 2 --threads 2 --no-progress");
  ASSERT_EQ(r.code, 0) << r.err;
  const double local = seconds(t0);
  const std::string here = test::readFile(d / "local" / "tiny_flair" / "per_study.csv");
  ASSERT_FALSE(here.empty());
  EXPECT_EQ(test::readFile(exp / "per_study.csv"), here) << "Slurm and local per_study.csv differ\n" << logs;
  std::cout << "tiny experiment: " << viaSlurm << " s through the local Slurm (2 tasks x 1 CPU, data generated), "
            << local << " s locally (--jobs 2 --threads 2, data present)\n";
}
