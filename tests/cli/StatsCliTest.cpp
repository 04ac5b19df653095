#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/TestSupport.h"

using namespace mst;

TEST(StatsCli, PairedJsonMatchesScipyAndDropsUndefinedPairs) {
  test::TempDir d;
  // Same pairs as StatsTest's kA/kB, plus one study undefined in A and one only in B.
  const double a[] = {0.55, 0.61, 0.48, 0.70, 0.52, 0.66, 0.59, 0.45, 0.63, 0.58};
  const double b[] = {0.49, 0.50, 0.47, 0.62, 0.55, 0.52, 0.51, 0.40, 0.60, 0.47};
  std::string ta = "subject,session,sensitivity\n", tb = "subject,session,sensitivity\n";
  for (int i = 0; i < 10; ++i) {
    ta += "s" + std::to_string(i) + ",1," + std::to_string(a[i]) + "\n";
    tb += "s" + std::to_string(i) + ",1," + std::to_string(b[i]) + "\n";
  }
  ta += "s10,1,\n";
  tb += "s10,1,0.5\ns11,1,0.2\n";
  test::writeFile(d / "a.csv", ta);
  test::writeFile(d / "b.csv", tb);
  auto r = test::runCli("stats paired --a '" + (d / "a.csv").string() + "' --b '" + (d / "b.csv").string() +
                        "' --metric sensitivity --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("n_pairs"), 10) << r.out;
  EXPECT_EQ(j.at("n_dropped"), 1) << r.out;
  EXPECT_NEAR(j.at("t_p").get<double>(), 0.0033602449563296466, 1e-12) << r.out;        // scipy ttest_rel
  EXPECT_NEAR(j.at("wilcoxon_p").get<double>(), 0.010673370946293127, 1e-12) << r.out;  // scipy wilcoxon approx
  EXPECT_EQ(j.at("wilcoxon_method"), "normal") << r.out;
  EXPECT_NEAR(j.at("mean_diff").get<double>(), 0.064, 1e-12) << r.out;
  EXPECT_NE(r.err.find("s11/1 (only in"), std::string::npos) << r.err;
}

TEST(StatsCli, MissingMetricColumnAndBadCellExitTwoNamingFileAndLine) {
  test::TempDir d;
  test::writeFile(d / "a.csv", "subject,ppv\ns1,0.5\ns2,abc\n");
  test::writeFile(d / "b.csv", "subject,ppv\ns1,0.5\n");
  auto r = test::runCli("stats paired --a '" + (d / "a.csv").string() + "' --b '" + (d / "b.csv").string() +
                        "' --metric sensitivity");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find((d / "a.csv").string() + ":1: missing column 'sensitivity'"), std::string::npos) << r.err;
  r = test::runCli("stats paired --a '" + (d / "a.csv").string() + "' --b '" + (d / "b.csv").string() +
                   "' --metric ppv");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find((d / "a.csv").string() + ":3: column 'ppv': expected a number or empty, got 'abc'"),
            std::string::npos)
      << r.err;
}
