#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <iterator>

#include "lib/core/Error.h"
#include "lib/io/Manifest.h"
#include "lib/synth/Synth.h"
#include "tests/support/TestSupport.h"

using namespace mst;
namespace fs = std::filesystem;

namespace {
// A coarse grid with the demo field of view keeps the tests fast.
synth::CohortOptions small(const std::string& cohort, int count = 3, uint64_t seed = 5) {
  synth::CohortOptions o;
  o.cohort = cohort;
  o.count = count;
  o.seed = seed;
  o.shape = {48, 58, 48};
  o.spacingMm = 3.33;
  return o;
}
std::string bytes(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}
double meanAt(const FloatVolume& v, const MaskVolume& m) {
  double s = 0;
  int64_t n = 0;
  for (size_t i = 0; i < v.data.size(); ++i)
    if (m.data[i]) {
      s += v.data[i];
      ++n;
    }
  return n ? s / n : 0.0;
}
int64_t count(const MaskVolume& m) {
  int64_t n = 0;
  for (auto x : m.data) n += x;
  return n;
}
}  // namespace

TEST(SynthCli, RejectsBadOptionsNamingThem) {
  test::TempDir d;
  auto r = test::runCli("synth --cohort nope --out '" + d.path().string() + "'");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--cohort: unknown cohort 'nope', expected one of: ms_flair"), std::string::npos) << r.err;
  r = test::runCli("synth --cohort ms_flair --shape 10,20 --out '" + d.path().string() + "'");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--shape: expected X,Y,Z"), std::string::npos) << r.err;
}

TEST(SynthCli, WritesCohortAndPreviewPng) {
  test::TempDir d;
  auto r = test::runCli("synth --cohort source_flair --count 2 --shape 40,48,40 --spacing 4 --out '" + d.path().string() +
                        "' --preview '" + (d / "prev").string() + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(fs::exists(d / "source_flair" / "manifest.csv"));
  const std::string png = bytes(d / "prev" / "source_flair.png");
  ASSERT_GT(png.size(), 100u);
  EXPECT_EQ(png.substr(1, 3), "PNG");
  // A second run with the same options is a no-op (cached cohort).
  r = test::runCli("synth --cohort source_flair --count 2 --shape 40,48,40 --spacing 4 --out '" + d.path().string() + "'");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.err.find("up to date"), std::string::npos) << r.err;
}
