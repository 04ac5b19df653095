// Helpers shared by the test suites: temporary folders, running the CLI,
// small volumes built in code.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "lib/core/Volume.h"

namespace mst::test {

namespace fs = std::filesystem;

// A fresh empty folder under the system temp dir, removed by the destructor.
class TempDir {
 public:
  explicit TempDir(const std::string& tag = "mst");
  ~TempDir();
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

struct CliResult {
  int code = -1;
  std::string out, err;
};

// (test_cli only) Runs build/bin/mstransfer with a shell-quoted argument string (and optional
// environment assignments, e.g. "MST_LOG=debug").
CliResult runCli(const std::string& args, const std::string& env = "");

// Cubic test geometry with isotropic spacing.
Geometry cubeGeometry(int64_t n, double spacing = 1.0);

void writeFile(const fs::path& p, const std::string& text);
std::string readFile(const fs::path& p);  // the whole file, binary ("" when missing)

// tests/e2e/tiny.toml: the demo FLAIR design in seconds per run (reproducibility and ablation tests).
fs::path tinyExperiment();

// Pearson correlation of two equally sized arrays over the voxels where mask is nonzero.
double correlationInMask(const std::vector<float>& a, const std::vector<float>& b, const std::vector<uint8_t>& mask);
bool sharedDataPresent();  // ../shared/data/open_ms_data exists (opt-in checks)
fs::path sharedData();

}  // namespace mst::test
