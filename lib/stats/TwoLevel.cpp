#include "lib/stats/TwoLevel.h"

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <cmath>
#include <numeric>
#include <random>

namespace mst::stats {

namespace {

RunStudy columns(const RunStudy& m, const std::vector<size_t>& cols) {
  RunStudy out(m.size());
  for (size_t r = 0; r < m.size(); ++r)
    for (size_t c : cols) out[r].push_back(m[r][c]);
  return out;
}

// Mean over the given runs of study s; false when none of them has a value.
bool drawnMean(const RunStudy& m, const std::vector<size_t>& runs, size_t s, double* out) {
  double sum = 0;
  int n = 0;
  for (size_t r : runs) {
    const double v = m[r][s];
    if (std::isfinite(v)) {
      sum += v;
      ++n;
    }
  }
  if (n == 0) return false;
  *out = sum / n;
  return true;
}

// R runs drawn with replacement; one run is taken as it is (no draw, so that one run per cell
// reproduces the bootstrap over studies draw for draw).
void drawRuns(std::mt19937_64& rng, size_t nRuns, std::vector<size_t>& out) {
  out.resize(nRuns);
  if (nRuns == 1) {
    out[0] = 0;
    return;
  }
  std::uniform_int_distribution<size_t> pick(0, nRuns - 1);
  for (auto& r : out) r = pick(rng);
}

std::vector<size_t> allRuns(size_t n) {
  std::vector<size_t> v(n);
  std::iota(v.begin(), v.end(), size_t{0});
  return v;
}

double variance(const std::vector<double>& x) {
  if (x.size() < 2) return NAN;
  const double m = std::accumulate(x.begin(), x.end(), 0.0) / static_cast<double>(x.size());
  double ss = 0;
  for (double v : x) ss += (v - m) * (v - m);
  return ss / static_cast<double>(x.size() - 1);
}

double zOf(double level) { return boost::math::quantile(boost::math::normal(), 0.5 + 0.5 * level); }

// Percentile p-value of H0: difference 0 (see the header).
double bootstrapP(const std::vector<double>& reps) {
  double le = 1, ge = 1;
  for (double v : reps) {
    le += v <= 0;
    ge += v >= 0;
  }
  return std::min(1.0, 2 * std::min(le, ge) / (static_cast<double>(reps.size()) + 1));
}

}  // namespace

double sortedQuantile(const std::vector<double>& s, double q) {
  if (s.empty()) return NAN;
  const double pos = q * static_cast<double>(s.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, s.size() - 1);
  return s[lo] + (pos - static_cast<double>(lo)) * (s[hi] - s[lo]);
}

std::vector<double> studyMeans(const RunStudy& m) {
  const size_t nStudies = m.empty() ? 0 : m[0].size();
  const auto runs = allRuns(m.size());
  std::vector<double> out(nStudies, NAN);
  for (size_t s = 0; s < nStudies; ++s) drawnMean(m, runs, s, &out[s]);
  return out;
}

double cellMean(const RunStudy& m) {
  double sum = 0;
  int n = 0;
  for (double v : studyMeans(m))
    if (std::isfinite(v)) {
      sum += v;
      ++n;
    }
  return n ? sum / n : NAN;
}

Components varianceComponents(const RunStudy& m) {
  Components c;
  c.runs = static_cast<int64_t>(m.size());
  std::vector<size_t> complete;
  for (size_t s = 0; !m.empty() && s < m[0].size(); ++s)
    if (std::all_of(m.begin(), m.end(), [&](const auto& row) { return std::isfinite(row[s]); })) complete.push_back(s);
  c.studies = static_cast<int64_t>(complete.size());
  const size_t R = m.size(), S = complete.size();
  if (S < 2) return c;
  std::vector<double> rowMean(R, 0), colMean(S, 0);
  double grand = 0;
  for (size_t r = 0; r < R; ++r)
    for (size_t j = 0; j < S; ++j) {
      const double v = m[r][complete[j]];
      rowMean[r] += v / static_cast<double>(S);
      colMean[j] += v / static_cast<double>(R);
      grand += v / static_cast<double>(R * S);
    }
  if (R < 2) {
    c.study = variance(colMean);  // residual and study confounded with one run
    return c;
  }
  double ssRun = 0, ssStudy = 0, ssRes = 0;
  for (double v : rowMean) ssRun += (v - grand) * (v - grand);
  for (double v : colMean) ssStudy += (v - grand) * (v - grand);
  for (size_t r = 0; r < R; ++r)
    for (size_t j = 0; j < S; ++j) {
      const double e = m[r][complete[j]] - rowMean[r] - colMean[j] + grand;
      ssRes += e * e;
    }
  const double msRun = static_cast<double>(S) * ssRun / static_cast<double>(R - 1);
  const double msStudy = static_cast<double>(R) * ssStudy / static_cast<double>(S - 1);
  const double msRes = ssRes / static_cast<double>((R - 1) * (S - 1));
  c.residual = msRes;
  c.run = std::max(0.0, (msRun - msRes) / static_cast<double>(S));
  c.study = std::max(0.0, (msStudy - msRes) / static_cast<double>(R));
  return c;
}

TwoLevelDiff twoLevelDiff(const RunStudy& a, const RunStudy& b, const TwoLevelOptions& o) {
  TwoLevelDiff r;
  r.nRunsA = static_cast<int64_t>(a.size());
  r.nRunsB = static_cast<int64_t>(b.size());
  r.resamples = o.resamples;
  r.method = a.size() > 1 || b.size() > 1 ? "two-level bootstrap" : "bootstrap over studies";
  if (a.empty() || b.empty()) return r;
  const auto ma = studyMeans(a), mb = studyMeans(b);
  std::vector<size_t> paired;
  std::vector<double> d;
  for (size_t s = 0; s < ma.size() && s < mb.size(); ++s)
    if (std::isfinite(ma[s]) && std::isfinite(mb[s])) {
      paired.push_back(s);
      d.push_back(ma[s] - mb[s]);
    }
  r.nStudies = static_cast<int64_t>(d.size());
  if (d.empty()) return r;
  r.meanDiff = std::accumulate(d.begin(), d.end(), 0.0) / static_cast<double>(d.size());
  const RunStudy pa = columns(a, paired), pb = columns(b, paired);
  r.a = varianceComponents(pa);
  r.b = varianceComponents(pb);
  r.runSdA = std::sqrt(r.a.run);
  r.runSdB = std::sqrt(r.b.run);
  const double vd = variance(d);
  r.studySd = std::sqrt(vd);
  auto resShare = [](const Components& c) { return std::isfinite(c.residual) ? c.residual / c.runs : 0.0; };
  r.diffStudyVar = std::max(0.0, vd - resShare(r.a) - resShare(r.b));
  if (d.size() < 2 || o.resamples < 10) return r;

  std::mt19937_64 rng(o.seed);
  std::uniform_int_distribution<size_t> pick(0, d.size() - 1);
  std::vector<size_t> idx(d.size()), runsA, runsB;
  std::vector<double> reps;
  reps.reserve(static_cast<size_t>(o.resamples));
  for (int k = 0; k < o.resamples; ++k) {
    for (auto& i : idx) i = pick(rng);
    drawRuns(rng, a.size(), runsA);
    drawRuns(rng, b.size(), runsB);
    double sum = 0, x = 0, y = 0;
    int n = 0;
    for (size_t i : idx)
      if (drawnMean(pa, runsA, i, &x) && drawnMean(pb, runsB, i, &y)) {
        sum += x - y;
        ++n;
      }
    if (n) reps.push_back(sum / n);
  }
  std::sort(reps.begin(), reps.end());
  r.low = sortedQuantile(reps, (1 - o.level) / 2);
  r.high = sortedQuantile(reps, 1 - (1 - o.level) / 2);
  r.p = bootstrapP(reps);
  return r;
}

std::vector<std::vector<double>> jointReplicates(const std::vector<RunStudy>& cells, const TwoLevelOptions& o) {
  size_t nStudies = 0;
  for (const auto& c : cells)
    if (!c.empty()) nStudies = std::max(nStudies, c[0].size());
  std::vector<std::vector<double>> out;
  if (nStudies < 2 || o.resamples < 10) return out;
  std::mt19937_64 rng(o.seed);
  std::uniform_int_distribution<size_t> pick(0, nStudies - 1);
  std::vector<size_t> idx(nStudies), runs;
  out.assign(static_cast<size_t>(o.resamples), std::vector<double>(cells.size(), NAN));
  for (auto& rep : out) {
    for (auto& i : idx) i = pick(rng);
    for (size_t c = 0; c < cells.size(); ++c) {
      if (cells[c].empty()) continue;
      drawRuns(rng, cells[c].size(), runs);
      double sum = 0, x = 0;
      int n = 0;
      for (size_t i : idx)
        if (drawnMean(cells[c], runs, i, &x)) {
          sum += x;
          ++n;
        }
      if (n) rep[c] = sum / n;
    }
  }
  return out;
}

double plannedHalfWidth(const TwoLevelDiff& d, int64_t runs, int64_t studies, double level) {
  const double parts[] = {d.a.run, d.b.run, d.a.residual, d.b.residual, d.diffStudyVar};
  if (runs < 1 || studies < 1 || !std::all_of(std::begin(parts), std::end(parts), [](double v) { return std::isfinite(v); }))
    return NAN;
  const double R = static_cast<double>(runs), S = static_cast<double>(studies);
  const double var = (d.a.run + d.b.run) / R + d.diffStudyVar / S + (d.a.residual + d.b.residual) / (R * S);
  return zOf(level) * std::sqrt(var);
}

std::optional<int64_t> studiesNeeded(const TwoLevelDiff& d, int64_t runs, double halfWidth, double level) {
  if (!std::isfinite(plannedHalfWidth(d, runs, 1, level)) || !(halfWidth > 0)) return std::nullopt;
  const double R = static_cast<double>(runs), h = halfWidth / zOf(level);
  const double room = h * h - (d.a.run + d.b.run) / R;
  if (room <= 0) return std::nullopt;
  const double s = (d.diffStudyVar + (d.a.residual + d.b.residual) / R) / room;
  return std::max<int64_t>(2, static_cast<int64_t>(std::ceil(s - 1e-12)));
}

Equivalent deNovoEquivalent(const std::vector<int>& sizes, const std::vector<double>& curve, double value) {
  std::vector<double> n, ln, y;
  for (size_t i = 0; i < sizes.size() && i < curve.size(); ++i)
    if (std::isfinite(curve[i]) && sizes[i] > 0) {
      n.push_back(sizes[i]);
      ln.push_back(std::log(static_cast<double>(sizes[i])));
      y.push_back(curve[i]);
    }
  Equivalent e;
  if (y.empty() || !std::isfinite(value)) return e;
  if (value < y[0]) return {n[0], -1};
  if (value == y[0]) return {n[0], 0};
  for (size_t i = 0; i + 1 < y.size(); ++i)
    if (y[i] < value && value <= y[i + 1]) {
      const double t = (value - y[i]) / (y[i + 1] - y[i]);
      return {t == 1 ? n[i + 1] : std::exp(ln[i] + t * (ln[i + 1] - ln[i])), 0};
    }
  return {n.back(), +1};  // above every point of the curve
}

}  // namespace mst::stats
