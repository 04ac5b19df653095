// The two-level bootstrap, variance components, planning formula and de-novo equivalents
// (lib/stats/TwoLevel.h). Reference values: the ordinary bootstrap (bootstrapMeanCi), simulation
// from the crossed random-effects model the formula assumes, and hand-computed interpolation.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "lib/stats/Stats.h"
#include "lib/stats/TwoLevel.h"

using namespace mst::stats;

namespace {

const std::vector<double> kA = {0.55, 0.61, 0.48, 0.70, 0.52, 0.66, 0.59, 0.45, 0.63, 0.58};
const std::vector<double> kB = {0.49, 0.50, 0.47, 0.62, 0.55, 0.52, 0.51, 0.40, 0.60, 0.47};

struct Truth {
  double runA = 0.004, runB = 0.002, studyA = 0.02, studyB = 0.02, studyCorr = 0.8, resA = 0.006, resB = 0.005;
  double studyDiff() const { return studyA + studyB - 2 * studyCorr * std::sqrt(studyA * studyB); }
};

// One design: R runs per arm on S shared studies whose effects in the two arms correlate.
std::pair<RunStudy, RunStudy> simulate(const Truth& t, int R, int S, std::mt19937_64& rng) {
  std::normal_distribution<double> n01(0, 1);
  std::vector<double> sa(S), sb(S);
  for (int s = 0; s < S; ++s) {
    const double z1 = n01(rng), z2 = n01(rng);
    sa[s] = std::sqrt(t.studyA) * z1;
    sb[s] = std::sqrt(t.studyB) * (t.studyCorr * z1 + std::sqrt(1 - t.studyCorr * t.studyCorr) * z2);
  }
  RunStudy a(R, std::vector<double>(S)), b = a;
  for (int r = 0; r < R; ++r) {
    const double ra = std::sqrt(t.runA) * n01(rng), rb = std::sqrt(t.runB) * n01(rng);
    for (int s = 0; s < S; ++s) {
      a[r][s] = 0.6 + ra + sa[s] + std::sqrt(t.resA) * n01(rng);
      b[r][s] = 0.5 + rb + sb[s] + std::sqrt(t.resB) * n01(rng);
    }
  }
  return {a, b};
}

}  // namespace

TEST(TwoLevel, OneRunPerArmIsTheBootstrapOverStudiesDrawForDraw) {
  std::vector<double> d;
  for (size_t i = 0; i < kA.size(); ++i) d.push_back(kA[i] - kB[i]);
  const auto ci = bootstrapMeanCi(d, 2000, 0.95, 99);
  const auto tl = twoLevelDiff({kA}, {kB}, {2000, 0.95, 99});
  EXPECT_EQ(tl.method, "bootstrap over studies");
  EXPECT_EQ(tl.nRunsA, 1);
  EXPECT_EQ(*tl.low, *ci.low);
  EXPECT_EQ(*tl.high, *ci.high);
  EXPECT_NEAR(*tl.meanDiff, 0.064, 1e-12);  // numpy.mean(kA - kB)
}

TEST(TwoLevel, MissingValuesAreLeftOutOfTheirStudyMeans) {
  // Study 2 has no value in run 2 of a: its mean is run 1's; study 3 has none in b: unpaired.
  const RunStudy a = {{0.2, 0.4, 0.6}, {0.4, NAN, 0.8}}, b = {{0.1, 0.1, NAN}, {0.3, 0.3, NAN}};
  const auto tl = twoLevelDiff(a, b, {1000, 0.95, 1});
  EXPECT_EQ(tl.nStudies, 2);
  EXPECT_NEAR(*tl.meanDiff, ((0.3 - 0.2) + (0.4 - 0.2)) / 2, 1e-12);
  EXPECT_EQ(tl.method, "two-level bootstrap");
  ASSERT_TRUE(tl.low && tl.high);
  EXPECT_LE(*tl.low, *tl.meanDiff);
  EXPECT_GE(*tl.high, *tl.meanDiff);
}

TEST(TwoLevel, PValueOfIdenticalArmsIsOneAndOfASeparatedPairIsItsFloor) {
  const auto same = twoLevelDiff({kA, kB}, {kA, kB}, {999, 0.95, 3});
  EXPECT_DOUBLE_EQ(*same.p, 1.0);
  std::vector<double> up(kA);
  for (auto& v : up) v += 1;
  const auto far = twoLevelDiff({up, up}, {kA, kB}, {999, 0.95, 3});
  EXPECT_DOUBLE_EQ(*far.p, 2.0 / 1000);  // 2 * (0 + 1) / (B + 1)
}

TEST(TwoLevel, VarianceComponentsRecoverTheModelOnAverage) {
  const Truth t;
  std::mt19937_64 rng(11);
  double run = 0, study = 0, res = 0;
  const int sims = 400;
  for (int i = 0; i < sims; ++i) {
    const auto c = varianceComponents(simulate(t, 4, 30, rng).first);
    run += c.run / sims;
    study += c.study / sims;
    res += c.residual / sims;
  }
  EXPECT_NEAR(res, t.resA, 0.05 * t.resA);        // unbiased
  EXPECT_NEAR(study, t.studyA, 0.08 * t.studyA);  // truncation at 0 is rare here
  EXPECT_NEAR(run, t.runA, 0.15 * t.runA);        // 3 degrees of freedom per design
}

// The planning formula gives the spread of mean_diff over designs drawn from the model.
TEST(TwoLevel, PlannedHalfWidthMatchesSimulatedDesigns) {
  const Truth t;
  TwoLevelDiff d;
  d.a.run = t.runA;
  d.b.run = t.runB;
  d.a.residual = t.resA;
  d.b.residual = t.resB;
  d.diffStudyVar = t.studyDiff();
  for (const auto& [R, S] : {std::pair{3, 20}, std::pair{5, 40}}) {
    std::mt19937_64 rng(static_cast<uint64_t>(R * 100 + S));
    std::vector<double> diffs;
    for (int i = 0; i < 4000; ++i) {
      const auto [a, b] = simulate(t, R, S, rng);
      diffs.push_back(cellMean(a) - cellMean(b));
    }
    const double sd = std::sqrt(*summarize(diffs).sd * *summarize(diffs).sd);
    const double z = 1.959963984540054;  // scipy.stats.norm.ppf(0.975)
    EXPECT_NEAR(plannedHalfWidth(d, R, S, 0.95), z * sd, 0.05 * z * sd) << "R " << R << " S " << S;
  }
  // studiesNeeded is the smallest S whose planned half-width reaches the target.
  const auto s = studiesNeeded(d, 5, 0.12, 0.95);
  ASSERT_TRUE(s.has_value());
  EXPECT_LE(plannedHalfWidth(d, 5, *s, 0.95), 0.12);
  EXPECT_GT(plannedHalfWidth(d, 5, *s - 1, 0.95), 0.12);
  // Run variance alone exceeds the target with 3 runs: no number of studies reaches it.
  EXPECT_FALSE(studiesNeeded(d, 3, 0.05, 0.95).has_value());
}

TEST(TwoLevel, EstimatedPlanMatchesTheBootstrapWidthOfALargeDesign) {
  const Truth t;
  std::mt19937_64 rng(5);
  const auto [a, b] = simulate(t, 6, 60, rng);
  const auto tl = twoLevelDiff(a, b, {4000, 0.95, 8});
  const double planned = plannedHalfWidth(tl, 6, 60, 0.95), boot = (*tl.high - *tl.low) / 2;
  // The two-level bootstrap counts the residual at both levels: a little wider, never narrower.
  EXPECT_GT(boot, 0.85 * planned);
  EXPECT_LT(boot, 1.5 * planned);
}

TEST(DeNovoEquivalent, InterpolatesInLogSizeAndCensorsOutsideTheSweep) {
  const std::vector<int> sizes = {5, 10, 20};
  const std::vector<double> curve = {0.4, 0.5, 0.6};
  // Halfway between 0.5 and 0.6 in log n: sqrt(10 * 20).
  auto e = deNovoEquivalent(sizes, curve, 0.55);
  EXPECT_NEAR(e.n, std::sqrt(200.0), 1e-9);
  EXPECT_EQ(e.censored, 0);
  EXPECT_NEAR(deNovoEquivalent(sizes, curve, 0.5).n, 10, 1e-9);
  e = deNovoEquivalent(sizes, curve, 0.3);
  EXPECT_EQ(e.censored, -1);
  EXPECT_EQ(e.n, 5);
  e = deNovoEquivalent(sizes, curve, 0.7);
  EXPECT_EQ(e.censored, 1);
  EXPECT_EQ(e.n, 20);
  // A curve that dips: the first size at which it reaches the value.
  EXPECT_NEAR(deNovoEquivalent({5, 10, 20}, {0.4, 0.6, 0.5}, 0.5).n, std::sqrt(50.0), 1e-9);
}
