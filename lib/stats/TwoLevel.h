// Uncertainty over training runs and test studies (docs/METRICS.md, "Two-level bootstrap").
//
// A cell (arm, training size) of an experiment holds R training runs, each scored on the same S
// test studies: values[run][study], NaN where a metric is undefined (e.g. PPV without predicted
// lesions). The paper's mean +- SE, and a paired test over studies, treat the run as fixed. Here:
//
// - Point estimates. A study's value in a cell is the mean over the cell's runs with a defined value;
//   the cell's mean is the mean of those over studies; the difference of two arms (a - b) is the mean
//   over the studies defined in both of (a's study mean - b's study mean).
// - Two-level bootstrap. One replicate draws S studies with replacement (shared by all cells of the
//   comparison), and inside each cell its R runs with replacement; the statistic is recomputed on the
//   drawn studies and runs (a drawn study without a defined value among the drawn runs is left out of
//   that replicate). Percentile interval (numpy's linear interpolation). With one run per cell it is
//   the ordinary bootstrap over studies, draw for draw (bootstrapMeanCi).
// - p-value: the two-sided percentile-bootstrap p, 2 * min(#(d* <= 0) + 1, #(d* >= 0) + 1) / (B + 1),
//   capped at 1 (the smallest level at which the percentile interval excludes 0).
// - Variance components: y[r][s] = mu + run_r + study_s + e_rs, by the method of moments of the
//   two-way layout without replication (the studies defined in every run).
//
// No torch, no ITK.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mst::stats {

using RunStudy = std::vector<std::vector<double>>;  // [run][study]

struct TwoLevelOptions {
  int resamples = 10000;
  double level = 0.95;
  uint64_t seed = 12345;
};

// Variances of the crossed model (NaN where undefined: run and residual need >= 2 runs and >= 2 studies).
struct Components {
  int64_t runs = 0, studies = 0;
  double run = NAN, study = NAN, residual = NAN;
};
Components varianceComponents(const RunStudy& m);

// Study means over runs (NaN where no run has a value).
std::vector<double> studyMeans(const RunStudy& m);

struct TwoLevelDiff {
  int64_t nStudies = 0, nRunsA = 0, nRunsB = 0;
  std::optional<double> meanDiff, low, high, p;
  double runSdA = NAN, runSdB = NAN;  // between-run SD of each arm (sqrt of the run component)
  double studySd = NAN;               // between-study SD of the per-study differences
  Components a, b;                    // each arm's components on the paired studies
  double diffStudyVar = NAN;          // variance of the study effect of the difference (residuals removed)
  int resamples = 0;
  std::string method;                 // "two-level bootstrap" or "bootstrap over studies" (one run per arm)
};
// a and b over the same study list; studies are paired where both arms have a value.
TwoLevelDiff twoLevelDiff(const RunStudy& a, const RunStudy& b, const TwoLevelOptions& o);

// Replicates of several cells resampled together over one study list: out[k][c] is cell c's mean in
// replicate k (NaN when no drawn study has a value). Studies are drawn once per replicate for all cells.
std::vector<std::vector<double>> jointReplicates(const std::vector<RunStudy>& cells, const TwoLevelOptions& o);
double cellMean(const RunStudy& m);  // mean over studies of the study means (NaN when none)

// Percentile of sorted values with numpy's linear interpolation (NaN when empty).
double sortedQuantile(const std::vector<double>& sorted, double q);

// Planning: the CI half-width of the difference with `runs` runs per arm and `studies` test studies,
// z * sqrt(run_a/R + run_b/R + study/S + (res_a + res_b)/(R S)) from d's components (NaN when a
// component is undefined); and the fewest studies that reach `halfWidth` (nullopt: not with R runs).
double plannedHalfWidth(const TwoLevelDiff& d, int64_t runs, int64_t studies, double level);
std::optional<int64_t> studiesNeeded(const TwoLevelDiff& d, int64_t runs, double halfWidth, double level);

// The de-novo-equivalent training size of `value` on the curve (sizes ascending, means): the curve
// interpolated linearly in log n, the smallest n at which it reaches the value. Censored -1: the value
// is below the curve's first point (n = the smallest size); +1: above every point (n = the largest).
struct Equivalent {
  double n = NAN;
  int censored = 0;
};
Equivalent deNovoEquivalent(const std::vector<int>& sizes, const std::vector<double>& curve, double value);

}  // namespace mst::stats
