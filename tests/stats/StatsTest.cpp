// Golden values from SciPy 1.10.1 (Debian python3-scipy), computed with the
// calls quoted beside each assertion, and from textbook/R documentation where
// cited.
#include <gtest/gtest.h>

#include "lib/stats/Stats.h"

using namespace mst::stats;

namespace {
const std::vector<double> kA = {0.55, 0.61, 0.48, 0.70, 0.52, 0.66, 0.59, 0.45, 0.63, 0.58};
const std::vector<double> kB = {0.49, 0.50, 0.47, 0.62, 0.55, 0.52, 0.51, 0.40, 0.60, 0.47};
// Darwin's Zea mays differences (Fisher 1935), the example of scipy.stats.wilcoxon's docstring.
const std::vector<double> kDarwin = {6, 8, 14, 16, 23, 24, 28, 29, 41, -48, 49, 56, 60, -67, 75};
std::vector<double> zeros(size_t n) { return std::vector<double>(n, 0.0); }
}  // namespace

TEST(Summary, MeanSdAndStandardErrorMatchScipy) {
  // numpy.mean, numpy.std(ddof=1), scipy.stats.sem on kDarwin.
  Summary s = summarize(kDarwin);
  EXPECT_EQ(s.n, 15);
  EXPECT_NEAR(*s.mean, 20.933333333333334, 1e-12);
  EXPECT_NEAR(*s.sd, 37.7443783262898, 1e-10);
  EXPECT_NEAR(*s.se, 9.745556578044837, 1e-10);
}

TEST(Summary, SingleValueHasNoStandardError) {
  Summary s = summarize({0.4});
  EXPECT_DOUBLE_EQ(*s.mean, 0.4);
  EXPECT_FALSE(s.sd.has_value());
  EXPECT_FALSE(s.se.has_value());
}

TEST(PairedT, MatchesScipyTtestRel) {
  // scipy.stats.ttest_rel(kA, kB) -> statistic 3.9489123349906894, pvalue 0.0033602449563296466, df 9
  TTest t = pairedT(kA, kB);
  EXPECT_EQ(t.n, 10);
  EXPECT_NEAR(*t.t, 3.9489123349906894, 1e-10);
  EXPECT_NEAR(*t.p, 0.0033602449563296466, 1e-12);
  EXPECT_DOUBLE_EQ(*t.df, 9);
  EXPECT_NEAR(*t.meanDiff, 0.064, 1e-12);
}

TEST(Wilcoxon, ExactPValueMatchesScipyDocstringExample) {
  // scipy.stats.wilcoxon(kDarwin) -> statistic 24.0, pvalue 0.041259765625 (exact: n = 15, no ties)
  Wilcoxon w = wilcoxonSignedRank(kDarwin, zeros(kDarwin.size()));
  EXPECT_EQ(w.method, "exact");
  EXPECT_DOUBLE_EQ(*w.statistic, 24.0);
  EXPECT_NEAR(*w.p, 0.041259765625, 1e-15);
}

TEST(Wilcoxon, TiesUseNormalApproximationWithTieCorrectionLikeScipyApprox) {
  // scipy.stats.wilcoxon(kA, kB, method='approx') -> statistic 2.5, pvalue 0.010673370946293127
  Wilcoxon w = wilcoxonSignedRank(kA, kB);
  EXPECT_EQ(w.method, "normal");
  EXPECT_DOUBLE_EQ(*w.statistic, 2.5);
  EXPECT_NEAR(*w.p, 0.010673370946293127, 1e-12);
}

TEST(Wilcoxon, ZerosAreDroppedAsScipyWilcoxZeroMethod) {
  // d = [0.1,0.1,0,0.1,0.2,0.2,-0.1,0,0.2,0.2,0.1,0]
  // scipy.stats.wilcoxon(d, method='approx') -> statistic 3.0, pvalue 0.017622090962324432
  const std::vector<double> d = {0.1, 0.1, 0, 0.1, 0.2, 0.2, -0.1, 0, 0.2, 0.2, 0.1, 0};
  Wilcoxon w = wilcoxonSignedRank(d, zeros(d.size()));
  EXPECT_EQ(w.n, 12);
  EXPECT_EQ(w.nNonZero, 9);
  EXPECT_EQ(w.method, "normal");
  EXPECT_DOUBLE_EQ(*w.statistic, 3.0);
  EXPECT_NEAR(*w.p, 0.017622090962324432, 1e-12);
}

TEST(Wilcoxon, LargeSampleUsesNormalApproximation) {
  // 60 values, rng = numpy.random.default_rng(1); round(rng.normal(0.1, 1, 60), 6)
  // scipy.stats.wilcoxon(u) -> statistic 822.0, pvalue 0.49357801242517574
  const std::vector<double> u = {
      0.445584,  0.921618,  0.430437,  -1.203157, 1.005356,  0.546375,  -0.436953, 0.681118,  0.464572,  0.394132,
      0.128422,  0.646713,  -0.636454, -0.06291,  -0.382119, 0.698846,  0.139722,  -0.192457, -0.681908, -0.157192,
      0.108142,  -0.175603, 1.394064,  1.106724,  -2.611162, -1.789013, -0.074772, -0.32219,  0.313643,  0.317322,
      2.217839,  -1.012021, -0.277605, 2.142772,  0.746703,  0.763063,  -0.414006, -1.548075, 0.267465,  0.209014,
      -1.127352, -0.583227, 0.027956,  -0.844752, 0.00173,   0.195483,  0.135586,  -0.406292, 0.693748,  0.991167,
      0.420848,  -0.71823,  0.831652,  -0.40144,  0.979161,  -0.971787, 1.014467,  0.079937,  -1.148749, -0.213899};
  Wilcoxon w = wilcoxonSignedRank(u, zeros(u.size()));
  EXPECT_EQ(w.method, "normal");
  EXPECT_DOUBLE_EQ(*w.statistic, 822.0);
  EXPECT_NEAR(*w.p, 0.49357801242517574, 1e-12);
}

TEST(Wilcoxon, AllZeroDifferencesAreUndefined) {
  Wilcoxon w = wilcoxonSignedRank({0.5, 0.5}, {0.5, 0.5});
  EXPECT_FALSE(w.p.has_value());
  EXPECT_EQ(w.method, "");
}

TEST(Wilcoxon, ExactNullDistributionSumsToOneAndIsSymmetric) {
  // For n = 4 there are 16 sign patterns; P(W+ = 0) = 1/16, P(W+ = 5) = 2/16 (1+4, 2+3).
  auto pmf = signedRankPmf(4);
  ASSERT_EQ(pmf.size(), 11u);
  EXPECT_DOUBLE_EQ(pmf[0], 1.0 / 16);
  EXPECT_DOUBLE_EQ(pmf[5], 2.0 / 16);
  double s = 0;
  for (double p : pmf) s += p;
  EXPECT_DOUBLE_EQ(s, 1.0);
  EXPECT_DOUBLE_EQ(pmf[3], pmf[7]);
}

TEST(Holm, MatchesRPadjustExample) {
  // R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm") -> 0.03 0.06 0.06 0.02
  auto adj = holm({0.01, 0.04, 0.03, 0.005});
  EXPECT_NEAR(adj[0], 0.03, 1e-15);
  EXPECT_NEAR(adj[1], 0.06, 1e-15);
  EXPECT_NEAR(adj[2], 0.06, 1e-15);
  EXPECT_NEAR(adj[3], 0.02, 1e-15);
  EXPECT_DOUBLE_EQ(holm({0.5, 0.9})[1], 1.0);
}

TEST(Bootstrap, PercentileIntervalIsSeededAndCloseToScipy) {
  // scipy.stats.bootstrap((kDarwin,), np.mean, method='percentile', n_resamples=20000,
  // random_state=0) -> (1.3333, 38.3333). Different generators: agree within Monte Carlo error.
  BootstrapCi a = bootstrapMeanCi(kDarwin, 20000, 0.95, 42);
  BootstrapCi b = bootstrapMeanCi(kDarwin, 20000, 0.95, 42);
  EXPECT_EQ(*a.low, *b.low);
  EXPECT_NEAR(*a.low, 1.33, 2.5);
  EXPECT_NEAR(*a.high, 38.33, 2.5);
}

TEST(EffectSize, CohenDzAndRankBiserial) {
  // d_z = mean(d)/sd(d) = 20.9333/37.7444 for kDarwin; r = (W+ - W-)/(W+ + W-) = (96 - 24)/120.
  auto dz = cohenDz(kDarwin, zeros(kDarwin.size()));
  EXPECT_NEAR(*dz, 20.933333333333334 / 37.7443783262898, 1e-12);
  Wilcoxon w = wilcoxonSignedRank(kDarwin, zeros(kDarwin.size()));
  EXPECT_NEAR(*rankBiserial(w), 72.0 / 120.0, 1e-12);
}

TEST(Interval, StudentTConfidenceIntervalOfAMeanMatchesScipy) {
  // scipy.stats.t.interval(0.95, 9, loc=numpy.mean(kA), scale=scipy.stats.sem(kA))
  //   -> (0.5207687203339465, 0.6332312796660536); level 0.90 -> (0.5314336319008848, 0.6225663680991154)
  const Summary s = summarize(kA);
  Interval ci = meanCi(s, 0.95);
  EXPECT_NEAR(*ci.low, 0.5207687203339465, 1e-10);
  EXPECT_NEAR(*ci.high, 0.6332312796660536, 1e-10);
  ci = meanCi(s, 0.90);
  EXPECT_NEAR(*ci.low, 0.5314336319008848, 1e-10);
  EXPECT_NEAR(*ci.high, 0.6225663680991154, 1e-10);
  EXPECT_FALSE(meanCi(summarize({0.4}), 0.95).low.has_value());
}

TEST(Agreement, PearsonAndBlandAltmanMatchScipyAndTheirDefinition) {
  // scipy.stats.pearsonr(kA, kB).statistic = 0.7607225925944255
  EXPECT_NEAR(*pearson(kA, kB), 0.7607225925944255, 1e-12);
  EXPECT_FALSE(pearson({1, 2}, {1, 2}).has_value());        // n < 3
  EXPECT_FALSE(pearson({1, 1, 1}, {1, 2, 3}).has_value());  // a constant side
  // d = kB - kA: numpy mean -0.064, std(ddof=1) 0.05125101625008686, limits mean -+ 1.96 sd
  const BlandAltman ba = blandAltman(kA, kB);
  EXPECT_EQ(ba.n, 10);
  EXPECT_NEAR(*ba.bias, -0.064, 1e-12);
  EXPECT_NEAR(*ba.sd, 0.05125101625008686, 1e-12);
  EXPECT_NEAR(*ba.low, -0.16445199185017023, 1e-12);
  EXPECT_NEAR(*ba.high, 0.03645199185017024, 1e-12);
}
