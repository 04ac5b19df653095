#include "lib/stats/Stats.h"

#include "lib/stats/TwoLevel.h"

#include <Eigen/Core>
#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <numeric>
#include <random>
#include <stdexcept>

namespace mst::stats {

Summary summarize(const std::vector<double>& x) {
  Summary s;
  s.n = static_cast<int64_t>(x.size());
  if (x.empty()) return s;
  Eigen::Map<const Eigen::ArrayXd> v(x.data(), static_cast<Eigen::Index>(x.size()));
  s.mean = v.mean();
  if (s.n >= 2) {
    s.sd = std::sqrt((v - *s.mean).square().sum() / static_cast<double>(s.n - 1));
    s.se = *s.sd / std::sqrt(static_cast<double>(s.n));
  }
  return s;
}

Interval meanCi(const Summary& s, double level) {
  Interval ci;
  if (s.n < 2 || !s.se || !s.mean) return ci;
  boost::math::students_t dist(static_cast<double>(s.n - 1));
  const double h = boost::math::quantile(dist, 0.5 + 0.5 * level) * *s.se;
  ci.low = *s.mean - h;
  ci.high = *s.mean + h;
  return ci;
}

std::optional<double> pearson(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size()) throw std::invalid_argument("paired samples differ in length");
  if (x.size() < 3) return std::nullopt;
  Eigen::Map<const Eigen::ArrayXd> a(x.data(), static_cast<Eigen::Index>(x.size()));
  Eigen::Map<const Eigen::ArrayXd> b(y.data(), static_cast<Eigen::Index>(y.size()));
  const Eigen::ArrayXd da = a - a.mean(), db = b - b.mean();
  const double sa = da.square().sum(), sb = db.square().sum();
  if (sa <= 0 || sb <= 0) return std::nullopt;
  return std::clamp((da * db).sum() / std::sqrt(sa * sb), -1.0, 1.0);
}

static std::vector<double> differences(const std::vector<double>& a, const std::vector<double>& b);

BlandAltman blandAltman(const std::vector<double>& a, const std::vector<double>& b) {
  const Summary s = summarize(differences(b, a));
  BlandAltman r;
  r.n = s.n;
  r.bias = s.mean;
  r.sd = s.sd;
  if (s.mean && s.sd) {
    r.low = *s.mean - 1.96 * *s.sd;
    r.high = *s.mean + 1.96 * *s.sd;
  }
  return r;
}

static std::vector<double> differences(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) throw std::invalid_argument("paired samples differ in length");
  std::vector<double> d(a.size());
  for (size_t i = 0; i < a.size(); ++i) d[i] = a[i] - b[i];
  return d;
}

TTest pairedT(const std::vector<double>& a, const std::vector<double>& b) {
  const auto d = differences(a, b);
  TTest r;
  r.n = static_cast<int64_t>(d.size());
  Summary s = summarize(d);
  r.meanDiff = s.mean;
  if (r.n < 2) return r;
  r.df = static_cast<double>(r.n - 1);
  if (*s.sd == 0.0) {
    if (*s.mean == 0.0) return r;  // 0/0: undefined (SciPy returns nan)
    r.t = *s.mean > 0 ? INFINITY : -INFINITY;
    r.p = 0.0;
    return r;
  }
  r.t = *s.mean / *s.se;
  boost::math::students_t dist(*r.df);
  r.p = 2.0 * boost::math::cdf(boost::math::complement(dist, std::abs(*r.t)));
  return r;
}

std::vector<double> signedRankPmf(int n) {
  const int maxW = n * (n + 1) / 2;
  // counts[k] = number of subsets of {1..n} summing to k; doubles are exact to 2^53.
  std::vector<double> counts(maxW + 1, 0.0);
  counts[0] = 1.0;
  for (int r = 1; r <= n; ++r)
    for (int k = maxW; k >= r; --k) counts[k] += counts[k - r];
  const double total = std::ldexp(1.0, n);
  for (auto& c : counts) c /= total;
  return counts;
}

Wilcoxon wilcoxonSignedRank(const std::vector<double>& a, const std::vector<double>& b) {
  auto d = differences(a, b);
  Wilcoxon w;
  w.n = static_cast<int64_t>(d.size());
  std::vector<double> nz;
  for (double x : d)
    if (x != 0.0) nz.push_back(x);
  w.nNonZero = static_cast<int64_t>(nz.size());
  const bool zeros = w.nNonZero < w.n;
  if (nz.empty()) return w;  // all differences zero: undefined (SciPy raises)
  // Average ranks of |d| (ties share the mean rank).
  const size_t n = nz.size();
  std::vector<size_t> idx(n);
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](size_t i, size_t j) { return std::abs(nz[i]) < std::abs(nz[j]); });
  std::vector<double> rank(n);
  double tieTerm = 0.0;  // sum over tie groups of t^3 - t
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j + 1 < n && std::abs(nz[idx[j + 1]]) == std::abs(nz[idx[i]])) ++j;
    const double r = 0.5 * static_cast<double>(i + j) + 1.0;
    for (size_t k = i; k <= j; ++k) rank[idx[k]] = r;
    const double t = static_cast<double>(j - i + 1);
    tieTerm += t * t * t - t;
    i = j + 1;
  }
  double wp = 0, wm = 0;
  for (size_t i = 0; i < n; ++i) (nz[i] > 0 ? wp : wm) += rank[i];
  w.wPlus = wp;
  w.wMinus = wm;
  w.statistic = std::min(wp, wm);
  const bool ties = tieTerm > 0;
  if (n <= 50 && !ties && !zeros) {
    w.method = "exact";
    const auto pmf = signedRankPmf(static_cast<int>(n));
    const int k = static_cast<int>(std::lround(wp));
    const int maxW = static_cast<int>(pmf.size()) - 1;
    if (2 * k == maxW) {
      w.p = 1.0;
    } else {
      double less = 0, greater = 0;
      for (int i = 0; i <= k; ++i) less += pmf[i];
      for (int i = k; i <= maxW; ++i) greater += pmf[i];
      w.p = std::min(1.0, 2.0 * std::min(less, greater));
    }
  } else {
    w.method = "normal";
    const double nn = static_cast<double>(n);
    const double mean = nn * (nn + 1) / 4.0;
    const double var = (nn * (nn + 1) * (2 * nn + 1) - 0.5 * tieTerm) / 24.0;
    if (var <= 0) return w;
    w.z = (*w.statistic - mean) / std::sqrt(var);
    boost::math::normal norm;
    w.p = std::min(1.0, 2.0 * boost::math::cdf(boost::math::complement(norm, std::abs(*w.z))));
  }
  return w;
}

BootstrapCi bootstrapMeanCi(const std::vector<double>& d, int resamples, double level, uint64_t seed) {
  BootstrapCi ci;
  ci.resamples = resamples;
  ci.level = level;
  if (d.size() < 2 || resamples < 10) return ci;
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<size_t> pick(0, d.size() - 1);
  std::vector<double> means(static_cast<size_t>(resamples));
  for (auto& m : means) {
    double s = 0;
    for (size_t i = 0; i < d.size(); ++i) s += d[pick(rng)];
    m = s / static_cast<double>(d.size());
  }
  std::sort(means.begin(), means.end());
  // Percentile method with linear interpolation between order statistics (numpy's default).
  ci.low = sortedQuantile(means, (1 - level) / 2);
  ci.high = sortedQuantile(means, 1 - (1 - level) / 2);
  return ci;
}

std::vector<double> holm(const std::vector<double>& p) {
  const size_t m = p.size();
  std::vector<size_t> idx(m);
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](size_t i, size_t j) { return p[i] < p[j]; });
  std::vector<double> adj(m);
  double running = 0;
  for (size_t k = 0; k < m; ++k) {
    const double v = std::min(1.0, static_cast<double>(m - k) * p[idx[k]]);
    running = std::max(running, v);
    adj[idx[k]] = running;
  }
  return adj;
}

std::optional<double> cohenDz(const std::vector<double>& a, const std::vector<double>& b) {
  Summary s = summarize(differences(a, b));
  if (!s.sd || *s.sd == 0.0) return std::nullopt;
  return *s.mean / *s.sd;
}

std::optional<double> rankBiserial(const Wilcoxon& w) {
  if (!w.wPlus || !w.wMinus || *w.wPlus + *w.wMinus == 0) return std::nullopt;
  return (*w.wPlus - *w.wMinus) / (*w.wPlus + *w.wMinus);
}

}  // namespace mst::stats
