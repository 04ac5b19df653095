// mstransfer synth: option errors, a cohort with its preview, and the no-op second run.
#include <gtest/gtest.h>

#include "tests/support/TestSupport.h"

using namespace mst;
namespace fs = std::filesystem;

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
  const std::string png = test::readFile(d / "prev" / "source_flair.png");
  ASSERT_GT(png.size(), 100u);
  EXPECT_EQ(png.substr(1, 3), "PNG");
  // A second run with the same options is a no-op (cached cohort).
  r = test::runCli("synth --cohort source_flair --count 2 --shape 40,48,40 --spacing 4 --out '" + d.path().string() + "'");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.err.find("up to date"), std::string::npos) << r.err;
}
