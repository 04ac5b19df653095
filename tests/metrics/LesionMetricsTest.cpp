#include <gtest/gtest.h>

#include "lib/core/Error.h"
#include "lib/metrics/LesionMetrics.h"
#include "tests/support/TestSupport.h"

using namespace mst;
using namespace mst::metrics;

namespace {
MaskVolume empty(int n = 20) { return MaskVolume(test::cubeGeometry(n), 0); }
void box(MaskVolume& m, int x0, int y0, int z0, int x1, int y1, int z1) {  // inclusive
  for (int z = z0; z <= z1; ++z)
    for (int y = y0; y <= y1; ++y)
      for (int x = x0; x <= x1; ++x) m.at(x, y, z) = 1;
}
LesionOptions opts(const std::string& criterion, int conn = 26) {
  LesionOptions o;
  o.setCriterion(criterion);
  o.connectivity = conn;
  return o;
}
}  // namespace

TEST(LesionMetrics, PerfectPredictionGivesOnesEverywhere) {
  MaskVolume t = empty();
  box(t, 2, 2, 2, 4, 4, 4);
  box(t, 10, 10, 10, 12, 12, 12);
  for (const char* c : {"any", "anima", "iou:0.5"}) {
    StudyMetrics m = evaluate(t, t, opts(c));
    EXPECT_EQ(m.nTruth, 2) << c;
    EXPECT_EQ(m.tpTruth, 2) << c;
    EXPECT_DOUBLE_EQ(*m.sensitivity, 1.0) << c;
    EXPECT_DOUBLE_EQ(*m.ppv, 1.0) << c;
    EXPECT_DOUBLE_EQ(*m.f1, 1.0) << c;
    EXPECT_DOUBLE_EQ(*m.dice, 1.0) << c;
    EXPECT_DOUBLE_EQ(m.truthVolumeMm3, 54.0) << c;
  }
}

TEST(LesionMetrics, SplitPredictionCountsTheTrueLesionOnceAndBothPiecesAsTrue) {
  MaskVolume t = empty(), p = empty();
  box(t, 2, 2, 2, 11, 4, 4);  // 10 x 3 x 3 = 90 voxels
  box(p, 2, 2, 2, 5, 4, 4);   // 36 voxels
  box(p, 8, 2, 2, 11, 4, 4);  // 36 voxels, gap at x = 6, 7
  StudyMetrics any = evaluate(p, t, opts("any"));
  EXPECT_EQ(any.nTruth, 1);
  EXPECT_EQ(any.nPred, 2);
  EXPECT_EQ(any.tpTruth, 1);
  EXPECT_EQ(any.tpPred, 2);
  EXPECT_DOUBLE_EQ(*any.ppv, 1.0);
  EXPECT_NEAR(*any.dice, 2.0 * 72 / (72 + 90), 1e-12);
  // IoU of each piece with the lesion is 36/90 = 0.4: found at 0.25, missed at 0.5.
  EXPECT_EQ(evaluate(p, t, opts("iou:0.25")).tpTruth, 1);
  StudyMetrics iou = evaluate(p, t, opts("iou:0.5"));
  EXPECT_EQ(iou.tpTruth, 0);
  EXPECT_EQ(iou.tpPred, 0);
  EXPECT_DOUBLE_EQ(*iou.f1, 0.0);
  // Anima: coverage 72/90 = 0.8 > alpha; both pieces lie fully inside: found.
  StudyMetrics an = evaluate(p, t, opts("anima"));
  EXPECT_EQ(an.tpTruth, 1);
  EXPECT_EQ(an.tpPred, 2);
}

TEST(LesionMetrics, MergedPredictionFindsBothTrueLesionsButIsOnePredictedLesion) {
  MaskVolume t = empty(), p = empty();
  box(t, 2, 2, 2, 4, 4, 4);
  box(t, 7, 2, 2, 9, 4, 4);
  box(p, 2, 2, 2, 9, 4, 4);  // bridges the gap
  StudyMetrics m = evaluate(p, t, opts("any"));
  EXPECT_EQ(m.nTruth, 2);
  EXPECT_EQ(m.nPred, 1);
  EXPECT_EQ(m.tpTruth, 2);
  EXPECT_EQ(m.tpPred, 1);
  // IoU of each true lesion with the merged one: 27/72 = 0.375.
  EXPECT_EQ(evaluate(p, t, opts("iou:0.5")).tpTruth, 0);
  // Anima: the merged component has 18/72 = 0.25 of its voxels outside truth (<= beta): found.
  EXPECT_EQ(evaluate(p, t, opts("anima")).tpTruth, 2);
}

TEST(LesionMetrics, DiagonallyTouchingLesionsAreOneUnder26AndTwoUnder6) {
  MaskVolume t = empty();
  box(t, 2, 2, 2, 3, 3, 3);
  box(t, 4, 4, 4, 5, 5, 5);  // touches the first only at a corner
  EXPECT_EQ(evaluate(t, t, opts("any", 26)).nTruth, 1);
  EXPECT_EQ(evaluate(t, t, opts("any", 18)).nTruth, 2);
  EXPECT_EQ(evaluate(t, t, opts("any", 6)).nTruth, 2);
}

TEST(LesionMetrics, MinimumSizeAppliesToTruthAndPredictionAlike) {
  MaskVolume t = empty(), p = empty();
  box(t, 2, 2, 2, 4, 4, 4);    // 27 voxels
  t.at(15, 15, 15) = 1;        // tiny true lesion
  box(p, 2, 2, 2, 4, 4, 4);
  p.at(10, 15, 15) = 1;        // tiny false positive
  LesionOptions o = opts("any");
  StudyMetrics raw = evaluate(p, t, o);
  EXPECT_EQ(raw.nTruth, 2);
  EXPECT_EQ(raw.nPred, 2);
  EXPECT_DOUBLE_EQ(*raw.sensitivity, 0.5);
  o.minSizeMm3 = 3.0;  // 1 mm voxels: 3 voxels
  StudyMetrics f = evaluate(p, t, o);
  EXPECT_EQ(f.nTruth, 1);
  EXPECT_EQ(f.nPred, 1);
  EXPECT_DOUBLE_EQ(*f.sensitivity, 1.0);
  EXPECT_DOUBLE_EQ(*f.ppv, 1.0);
  EXPECT_EQ(minVoxels(o, 0.5 * 0.5 * 3.0), 4);  // 3 mm^3 / 0.75 mm^3 = 4 voxels
}

TEST(LesionMetrics, AnimaRejectsDetectionByAHugeLeakyComponent) {
  MaskVolume t = empty(), p = empty();
  box(t, 5, 5, 5, 6, 6, 6);     // 8 voxels
  box(p, 2, 2, 2, 12, 12, 12);  // 1331 voxels covering it, >99% outside truth
  EXPECT_EQ(evaluate(p, t, opts("any")).tpTruth, 1);
  StudyMetrics an = evaluate(p, t, opts("anima"));
  EXPECT_EQ(an.tpTruth, 0);
  EXPECT_EQ(an.tpPred, 0);  // truth covers < alpha of the prediction
  EXPECT_EQ(an.fpLesions, 1);
}

TEST(LesionMetrics, AnimaAlphaThresholdIsStrict) {
  MaskVolume t = empty(), p = empty();
  box(t, 0, 0, 0, 9, 0, 0);  // 10 voxels in a row
  p.at(0, 0, 0) = 1;         // covers exactly 0.10: not more than alpha
  EXPECT_EQ(evaluate(p, t, opts("anima")).tpTruth, 0);
  p.at(1, 0, 0) = 1;         // 0.20
  EXPECT_EQ(evaluate(p, t, opts("anima")).tpTruth, 1);
}

TEST(LesionMetrics, EmptyTruthLeavesSensitivityUndefinedAndCountsFalsePositives) {
  MaskVolume t = empty(), p = empty();
  box(p, 2, 2, 2, 3, 3, 3);
  StudyMetrics m = evaluate(p, t, opts("any"));
  EXPECT_FALSE(m.sensitivity.has_value());
  ASSERT_TRUE(m.ppv.has_value());
  EXPECT_DOUBLE_EQ(*m.ppv, 0.0);
  EXPECT_FALSE(m.f1.has_value());
  EXPECT_DOUBLE_EQ(*m.dice, 0.0);
  EXPECT_EQ(m.fpLesions, 1);
  EXPECT_DOUBLE_EQ(m.fpVolumeMm3, 8.0);
}

TEST(LesionMetrics, BothEmptyLeavesEverythingUndefined) {
  MaskVolume t = empty();
  StudyMetrics m = evaluate(t, t, opts("any"));
  EXPECT_FALSE(m.sensitivity || m.ppv || m.f1 || m.dice);
  auto cells = metricCells(m);
  EXPECT_EQ(cells[4], "");
  EXPECT_NE(toJson(m).find("\"sensitivity\": null"), std::string::npos);
}

TEST(LesionMetrics, EmptyPredictionGivesZeroSensitivityAndUndefinedPpv) {
  MaskVolume t = empty(), p = empty();
  box(t, 2, 2, 2, 3, 3, 3);
  StudyMetrics m = evaluate(p, t, opts("any"));
  EXPECT_DOUBLE_EQ(*m.sensitivity, 0.0);
  EXPECT_FALSE(m.ppv.has_value());
  EXPECT_FALSE(m.f1.has_value());
}

TEST(LesionOptions, ParsesCriteriaAndRejectsBadOnesNamingTheField) {
  LesionOptions o;
  o.setCriterion("iou:0.25");
  EXPECT_EQ(o.criterion, Criterion::kIou);
  EXPECT_DOUBLE_EQ(o.iouThreshold, 0.25);
  EXPECT_EQ(o.criterionName(), "iou:0.25");
  try {
    o.setCriterion("overlap", "eval.criterion");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), "eval.criterion: expected one of any, anima, iou:T, got 'overlap'");
  }
  EXPECT_THROW(o.setCriterion("iou:1.5"), InputError);
}

TEST(LesionMetrics, MinimumSizeBoundaryAndTheMsSegProtocol) {
  // min_size_mm3 keeps a lesion of exactly that volume; min_size_strict (Anima) keeps only larger ones.
  LesionOptions o;
  o.minSizeMm3 = 3;
  EXPECT_EQ(minVoxels(o, 1.0), 3);    // >= 3 mm^3 at 1 mm^3 voxels
  EXPECT_EQ(minVoxels(o, 0.5), 6);
  EXPECT_EQ(minVoxels(o, 8.0), 1);
  o.minSizeStrict = true;
  EXPECT_EQ(minVoxels(o, 1.0), 4);    // > 3 mm^3: 4 voxels
  EXPECT_EQ(minVoxels(o, 0.5), 7);    // 3.5 mm^3
  EXPECT_EQ(minVoxels(o, 0.75), 5);   // 3 / 0.75 = 4 voxels is exactly 3 mm^3: not kept
  EXPECT_EQ(minVoxels(o, 8.0), 1);
  LesionOptions m;
  m.setProtocol("msseg");
  EXPECT_EQ(m.connectivity, 6);
  EXPECT_EQ(m.criterionName(), "anima");
  EXPECT_DOUBLE_EQ(m.alpha, 0.10);
  EXPECT_DOUBLE_EQ(m.beta, 0.70);
  EXPECT_DOUBLE_EQ(m.gamma, 0.65);
  EXPECT_DOUBLE_EQ(m.minSizeMm3, 3.0);
  EXPECT_TRUE(m.minSizeStrict);
  // A 3-voxel lesion at 1 mm is dropped from both masks under the protocol, kept without the strict boundary.
  MaskVolume t(test::cubeGeometry(8), 0);
  t.at(1, 1, 1) = t.at(2, 1, 1) = t.at(3, 1, 1) = 1;
  EXPECT_EQ(evaluate(t, t, m).nTruth, 0);
  o.minSizeStrict = false;
  EXPECT_EQ(evaluate(t, t, o).nTruth, 1);
  try {
    m.setProtocol("isbi");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("--protocol: expected one of custom, msseg, got 'isbi'"), std::string::npos);
  }
}
