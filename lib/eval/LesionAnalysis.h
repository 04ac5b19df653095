// Lesion-level analysis of a run's test predictions beyond the per-study table: every lesion with its
// volume, detection and (synthetic cohorts) region, and a threshold sweep of the probability maps
// for FROC and precision-recall (reads NIfTI through io; no torch).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "lib/eval/Evaluation.h"

namespace mst::eval {

// The sweep: 0.05, 0.10, ..., 0.95 and the configured threshold, increasing, without repeats.
std::vector<double> sweepThresholds(double configured);

// Region names of lib/synth/Phantom.h's Region labels (0 outside the brain .. 5 other).
const std::vector<std::string>& regionNames();

// The region map of a pair's label (<subject>_regions.nii.gz beside <subject>_label.nii.gz), or ""
// when the cohort has none.
std::filesystem::path regionMapOf(const PredictionPair& p);

// False-positive lesions by anatomical region, for cohorts that come with a region map
// (<subject>_regions.nii.gz beside the label: the built-in synthetic cohorts; labels as
// lib/synth/Phantom.h's Region). A predicted lesion that no true voxel touches is a false
// positive (criterion "any", the options' connectivity and minimum size); its region is the
// most frequent region label of its voxels. Rows: subject, session, region, fp_lesions,
// fp_volume_mm3 (every region listed, zeros included). Returns false (and writes nothing)
// when a study has no region map.
bool writeFpRegionsCsv(const std::filesystem::path& out, const std::vector<PredictionPair>& pairs,
                       const metrics::LesionOptions& options);

struct SweepOptions {
  double threshold = 0.5;           // the run's threshold (its mask)
  int64_t minComponentVoxels = 0;   // as the predictor removes small components
  std::vector<double> thresholds;   // the sweep (sweepThresholds(threshold) when empty)
};

// For each pair: lesions.csv rows (subject, session, side truth|pred, voxels, volume_mm3, detected,
// region; from the mask as predicted) and, when the probability map DIR/<id>_prob.nii.gz is beside
// the mask, froc.csv rows (subject, session, threshold, n_truth, tp_truth, n_pred, tp_pred): each
// threshold binarised as the predictor does (metrics::binarize), then scored with `options`.
// Both files atomic. Returns whether froc.csv was written (every study had its map).
bool writeLesionAnalysis(const std::filesystem::path& lesionsCsv, const std::filesystem::path& frocCsv,
                         const std::vector<PredictionPair>& pairs, const metrics::LesionOptions& options,
                         const SweepOptions& sweep);

}  // namespace mst::eval
