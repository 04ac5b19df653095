// Lesion-wise and voxel-wise metrics of one study (pure functions; no torch,
// no ITK).
//
// A lesion is a connected component (connectivity 6, 18 or 26) of a binary
// mask. Components smaller than the minimum size (voxels, or mm^3 converted
// with the voxel volume and rounded up) are removed from truth and prediction
// alike before matching.
//
// Detection criteria (which true lesions count as found, which predicted
// lesions count as true):
//   any     a true lesion is found when any of its voxels is predicted; a
//           predicted lesion is true when any of its voxels is a true voxel
//           (ISBI 2015 lesion TPR/FPR). The default.
//   anima   MSSEG/Anima (animaSegPerfAnalyzer): true lesion T is found when
//           predicted voxels cover more than alpha of T, and the predicted
//           components that account for gamma of that coverage (largest
//           overlap first) each have at most beta of their voxels outside
//           every true lesion. Predicted lesions: same rule, roles swapped.
//           Defaults alpha 0.10, beta 0.70, gamma 0.65; the Anima protocol
//           also uses 6-connectivity and a 3 mm^3 minimum size (set those with
//           the connectivity and minimum size options).
//   iou:T   (Shifts) a true lesion is found when its IoU with one overlapping
//           predicted component is >= T; a predicted lesion is true when its
//           IoU with one overlapping true component is >= T.
//
// Undefined values (policy): sensitivity is undefined without true lesions;
// PPV is undefined without predicted lesions; F1 is undefined when either is
// undefined (and 0 when both are 0); Dice is undefined when both masks are
// empty. Undefined values are std::nullopt: empty in CSV, null in JSON, never
// 0 or 1 by accident. A study without true lesions still reports the number
// and volume of its false-positive lesions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lib/core/Volume.h"
#include "lib/config/EvalConfig.h"

namespace mst::metrics {


struct StudyMetrics {
  int64_t nTruth = 0, nPred = 0;    // lesions after the minimum size
  int64_t tpTruth = 0, tpPred = 0;  // true lesions found, predicted lesions that are true
  std::optional<double> sensitivity, ppv, f1, dice;
  double truthVolumeMm3 = 0, predVolumeMm3 = 0;
  int64_t fpLesions = 0;            // nPred - tpPred
  double fpVolumeMm3 = 0;           // volume of predicted lesions that are not true
};

// One lesion (component after the minimum size) of the truth or the prediction.
struct LesionRecord {
  bool truth = true;      // a true lesion (else a predicted one)
  int64_t voxels = 0;
  double volumeMm3 = 0;
  bool detected = false;  // truth: found; prediction: a true positive (under the criterion)
  int region = -1;        // most frequent label of `regions` over its voxels (ties: the lower); -1 without
};

// pred and truth must share size (spacing is taken from truth). With `lesions`, every true and
// predicted lesion is appended (truth first, in label order); `regions` (one label per voxel, same
// size) gives each its region.
StudyMetrics evaluate(const MaskVolume& pred, const MaskVolume& truth, const LesionOptions& options,
                      std::vector<LesionRecord>* lesions = nullptr, const std::vector<uint8_t>* regions = nullptr);

// Minimum component size in voxels for a given voxel volume.
int64_t minVoxels(const LesionOptions& o, double voxelVolumeMm3);

// Per-study CSV: the column names and one row's cells (empty when undefined).
std::vector<std::string> metricColumns();
std::vector<std::string> metricCells(const StudyMetrics& m);
std::string toJson(const StudyMetrics& m);  // one object, null for undefined

}  // namespace mst::metrics
