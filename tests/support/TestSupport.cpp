#include "tests/support/TestSupport.h"

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <random>
#include <sstream>

namespace mst::test {

TempDir::TempDir(const std::string& tag) {
  static std::atomic<int> counter{0};
  std::random_device rd;
  path_ = fs::temp_directory_path() /
          (tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" + std::to_string(rd() % 100000));
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

static std::string slurp(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

CliResult runCli(const std::string& args) {
  TempDir tmp("mst-cli");
  const fs::path out = tmp / "out.txt", err = tmp / "err.txt";
  const std::string cmd = std::string("'") + MST_TEST_BIN + "' " + args + " >'" + out.string() + "' 2>'" + err.string() + "'";
  int status = std::system(cmd.c_str());
  CliResult r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

Geometry cubeGeometry(int64_t n, double spacing) {
  Geometry g;
  g.size = {n, n, n};
  g.spacing = {spacing, spacing, spacing};
  return g;
}

void writeFile(const fs::path& p, const std::string& text) {
  if (p.has_parent_path()) fs::create_directories(p.parent_path());
  std::ofstream f(p, std::ios::binary);
  f << text;
}

fs::path sharedData() { return fs::path(MST_SHARED_DIR) / "data" / "open_ms_data"; }
bool sharedDataPresent() { return fs::is_directory(sharedData()); }

}  // namespace mst::test
