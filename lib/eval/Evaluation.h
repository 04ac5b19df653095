// Evaluation of a test set: predictions on disk against the labels of a
// manifest, written as a per-study CSV (reads NIfTI through io; the metrics
// themselves live in lib/metrics).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "lib/io/Manifest.h"
#include "lib/metrics/LesionMetrics.h"

namespace mst::eval {

struct PredictionPair {
  std::string subject, session;
  std::filesystem::path pred, truth;
};

// Name of a study's predicted mask inside a prediction folder.
std::string maskFileName(const std::string& studyId);  // "<id>_mask.nii.gz"
std::string probFileName(const std::string& studyId);  // "<id>_prob.nii.gz"

// Pairs every manifest row with DIR/<id>_mask.nii.gz (or DIR/<id>.nii.gz).
// Throws one InputError listing every missing prediction, and a manifest
// without a label column.
std::vector<PredictionPair> findPredictions(const io::Manifest& manifest, const std::filesystem::path& predDir);

struct StudyResult {
  std::string subject, session;
  metrics::StudyMetrics m;
};

// A predicted mask. Without a threshold it must be binary (0/1): a probability map is an
// InputError that names the file and asks for a threshold (it is never scored as a mask).
// With one, voxels >= threshold are lesion (as the predictor binarises).
MaskVolume readPrediction(const std::filesystem::path& path, std::optional<double> threshold);

// A pair's predicted mask (readPrediction) and true mask, on the same grid: InputError naming both files
// otherwise.
struct StudyMasks {
  MaskVolume pred, truth;
};
StudyMasks readPair(const PredictionPair& pair, std::optional<double> threshold = std::nullopt);

// Reads and evaluates each pair; grid mismatches are InputErrors naming both files.
std::vector<StudyResult> evaluateSet(const std::vector<PredictionPair>& pairs, const metrics::LesionOptions& options,
                                     bool progress, std::optional<double> threshold = std::nullopt);

// subject[,session],n_truth,...; atomic.
void writePerStudyCsv(const std::filesystem::path& out, const std::vector<StudyResult>& rows, bool withSession);

}  // namespace mst::eval
