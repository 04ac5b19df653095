#include "tests/support/TestSupport.h"

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
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

std::string readFile(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}


fs::path tinyExperiment() { return fs::path(MST_SOURCE_DIR) / "tests" / "e2e" / "tiny.toml"; }


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

double correlationInMask(const std::vector<float>& a, const std::vector<float>& b, const std::vector<uint8_t>& mask) {
  double sa = 0, sb = 0, sab = 0, saa = 0, sbb = 0;
  int64_t n = 0;
  for (size_t i = 0; i < a.size(); ++i)
    if (mask[i]) {
      sa += a[i];
      sb += b[i];
      sab += static_cast<double>(a[i]) * b[i];
      saa += static_cast<double>(a[i]) * a[i];
      sbb += static_cast<double>(b[i]) * b[i];
      ++n;
    }
  const double cov = sab / n - sa / n * sb / n;
  return cov / std::sqrt((saa / n - sa * sa / n / n) * (sbb / n - sb * sb / n / n));
}

fs::path sharedData() { return fs::path(MST_SHARED_DIR) / "data" / "open_ms_data"; }
bool sharedDataPresent() { return fs::is_directory(sharedData()); }

}  // namespace mst::test
