// The pooled validation metrics count lesions over all validation studies, so a study without
// targets cannot lift an empty prediction to a high score (the study-mean F1 gives such a study 1).
#include <gtest/gtest.h>

#include "lib/train/Validation.h"

using mst::train::pooledLesionMetrics;

TEST(PooledValidation, CountsLesionsOverAllStudies) {
  // 3 true lesions of which 2 found; 4 predicted lesions of which 2 true.
  const auto m = pooledLesionMetrics(3, 2, 4, 2);
  EXPECT_DOUBLE_EQ(m.at("sensitivity"), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(m.at("ppv"), 0.5);
  EXPECT_DOUBLE_EQ(m.at("f1"), 2 * (2.0 / 3.0) * 0.5 / (2.0 / 3.0 + 0.5));  // 4/7
}

TEST(PooledValidation, AnEmptyPredictionScoresZeroWhenAnyStudyHasTargets) {
  // Four validation studies, three without new lesions and one with two: predicting nothing gives a
  // study-mean F1 of 0.75 (1, 1, 1, 0) but a pooled F1 of 0.
  EXPECT_DOUBLE_EQ(pooledLesionMetrics(2, 0, 0, 0).at("f1"), 0.0);
  EXPECT_DOUBLE_EQ(pooledLesionMetrics(0, 0, 0, 0).at("f1"), 1.0);  // nothing to find, nothing found
  EXPECT_DOUBLE_EQ(pooledLesionMetrics(0, 0, 5, 0).at("f1"), 0.0);  // only false positives
  EXPECT_DOUBLE_EQ(pooledLesionMetrics(0, 0, 5, 0).at("ppv"), 0.0);
}
