// Descriptive statistics and paired tests (Eigen and Boost.Math; no torch).
//
// Conventions (all two-sided):
// - sd uses n - 1; se = sd / sqrt(n).
// - pairedT: Student's t on the differences a - b, df = n - 1
//   (scipy.stats.ttest_rel; R t.test(paired = TRUE)).
// - wilcoxon: signed-rank test on d = a - b, matching SciPy's defaults
//   (scipy.stats.wilcoxon: zero_method 'wilcox' drops zero differences,
//   correction = False, i.e. NO continuity correction). The statistic is
//   min(W+, W-). The exact null distribution is used when n <= 50 and there
//   are neither ties nor zeros ("exact"); otherwise the normal approximation
//   with the tie correction of the variance ("normal"), as SciPy's
//   method='approx'. (R's wilcox.test differs: it applies a continuity
//   correction by default.)
// - bootstrapMeanCi: percentile bootstrap of the mean of d, seeded.
// - holm: Holm-Bonferroni step-down adjusted p-values (R p.adjust "holm").
// - effect sizes: Cohen's d_z = mean(d) / sd(d); matched-pairs rank-biserial
//   r = (W+ - W-) / (W+ + W-).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mst::stats {

struct Summary {
  int64_t n = 0;
  std::optional<double> mean, sd, se;  // sd/se need n >= 2
};
Summary summarize(const std::vector<double>& x);

// Student-t confidence interval of a mean: mean -+ t_{(1+level)/2, n-1} * se (R t.test(x)$conf.int;
// scipy.stats.t.interval(level, n-1, mean, se)). Undefined for n < 2.
struct Interval {
  std::optional<double> low, high;
};
Interval meanCi(const Summary& s, double level);

// Pearson's r of paired values (scipy.stats.pearsonr); undefined for n < 3 or a constant side.
std::optional<double> pearson(const std::vector<double>& x, const std::vector<double>& y);

// Bland-Altman agreement of b against a (Bland & Altman 1986): bias = mean(b - a), limits of
// agreement bias -+ 1.96 * sd(b - a). sd and limits need n >= 2.
struct BlandAltman {
  int64_t n = 0;
  std::optional<double> bias, sd, low, high;
};
BlandAltman blandAltman(const std::vector<double>& a, const std::vector<double>& b);

struct TTest {
  int64_t n = 0;
  std::optional<double> meanDiff, t, df, p;  // p undefined for n < 2 or zero variance with zero mean
};
TTest pairedT(const std::vector<double>& a, const std::vector<double>& b);

struct Wilcoxon {
  int64_t n = 0;          // pairs used
  int64_t nNonZero = 0;   // pairs with a nonzero difference
  std::optional<double> statistic, p, z, wPlus, wMinus;
  std::string method;     // "exact", "normal" or "" when undefined
};
Wilcoxon wilcoxonSignedRank(const std::vector<double>& a, const std::vector<double>& b);

struct BootstrapCi {
  std::optional<double> low, high;
  int resamples = 0;
  double level = 0.95;
};
BootstrapCi bootstrapMeanCi(const std::vector<double>& d, int resamples, double level, uint64_t seed);

std::vector<double> holm(const std::vector<double>& p);

std::optional<double> cohenDz(const std::vector<double>& a, const std::vector<double>& b);
std::optional<double> rankBiserial(const Wilcoxon& w);

// Exact null pmf of W+ for n pairs without ties: pmf[k] = P(W+ = k), k = 0..n(n+1)/2.
std::vector<double> signedRankPmf(int n);

}  // namespace mst::stats
