// Prediction of NIfTI masks for the studies of a manifest (or of a cache)
// with a trained checkpoint. No torch types in this header.
//
// Output per study, on the study's original reference grid (the manifest's
// `reference`, else its first channel):
//   <subject>[_<session>]_prob.nii.gz   sigmoid probability, float32
//   <subject>[_<session>]_mask.nii.gz   probability >= threshold, components
//                                      below min_component_voxels removed, uint8
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "lib/cache/Cache.h"
#include "lib/core/Volume.h"
#include "lib/config/InferConfig.h"
#include "lib/io/Manifest.h"
#include "lib/config/ModelConfig.h"
#include "lib/preprocess/Preprocess.h"

namespace mst::infer {

// What a checkpoint's sidecar says about the model.
struct ModelMeta {
  model::UNetOptions model;
  preprocess::PreprocessConfig preprocess;
  Size3 patch{32, 32, 32};
  std::string trainPrecision = "fp32";  // what [infer] precision = "train" means for this model
  Vec3 trainedSpacingMm{0, 0, 0};       // the spacing the network was trained at (0: not recorded)
};
ModelMeta readModelMeta(const std::filesystem::path& checkpoint);  // throws InputError naming the file

struct PredictOptions {
  InferConfig infer;
  std::string device = "cpu";
  int threads = 1;
  bool progress = true;
  // predictManifest: inputs are resampled to the model's training spacing on the axes its preprocessing
  // leaves at the input's spacing (target_spacing 0), and predictions written back on each input's grid;
  // true keeps the input's spacing.
  bool keepInputSpacing = false;
};

struct PredictReport {
  int studies = 0;
  double seconds = 0;
};

// Predicts the listed studies of an open cache (all when `ids` is empty).
PredictReport predictFromCache(const std::filesystem::path& checkpoint, const cache::CacheReader& cache,
                               const std::vector<std::string>& ids, const std::filesystem::path& outDir,
                               const PredictOptions& options);

// Preprocesses the manifest into `cacheFile` (built or updated with the
// checkpoint's preprocessing settings, at the model's training spacing: effectivePreprocess), then
// predicts every study.
// The checkpoint's preprocessing with target_spacing 0 axes set to the spacing it was trained at
// (unless keepInputSpacing or not recorded).
preprocess::PreprocessConfig effectivePreprocess(const ModelMeta& meta, bool keepInputSpacing);
PredictReport predictManifest(const std::filesystem::path& checkpoint, const io::Manifest& manifest,
                              const std::filesystem::path& cacheFile, const std::filesystem::path& outDir,
                              const PredictOptions& options);


// Checks "cpu" or "cuda" (throws InputError when CUDA is asked for but unavailable).
void checkDevice(const std::string& device);
bool cudaAvailable();

}  // namespace mst::infer
