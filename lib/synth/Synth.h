// Built-in synthetic cohorts: the embedded default data of mstransfer.
//
// Five cohorts (see cohortInfo()): ms_flair, ms_longitudinal, ms_enhancement
// (the MS target tasks) and source_flair, source_enhancement (the other
// pathologies that source models are trained on). A study is a deterministic
// function of (cohort, seed, index, grid): the same seed gives byte-identical
// files whatever the thread count.
//
// Layout written by generateCohort(): OUT/<cohort>/
//   manifest.csv                 the project's manifest format, relative paths
//   <SUBJ>_<channel>.nii.gz      float32 images (channels per cohort)
//   <SUBJ>_label.nii.gz          uint8 target lesions
//   <SUBJ>_brainmask.nii.gz      uint8
//   <SUBJ>_flair_prior_to_flair.txt  (ms_longitudinal, transform mode) ITK transform
//   lesions.csv                  one row per generated lesion (kind, diameter, labelled, new)
//   cohort.json                  generation options and provenance
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "lib/core/Volume.h"
#include "lib/synth/Phantom.h"

namespace mst::synth {

struct CohortInfo {
  std::string name;
  std::string prefix;                 // subject id prefix, e.g. "MSF"
  std::vector<std::string> channels;  // manifest channel names
  std::string description;
};
const std::vector<CohortInfo>& cohortInfo();
const CohortInfo& cohort(const std::string& name);  // throws InputError listing the names

struct CohortOptions {
  std::string cohort = "ms_flair";
  int count = 10;
  uint64_t seed = 1;
  Size3 shape{80, 96, 80};
  double spacingMm = 2.0;
  bool skull = false;
  std::string longitudinalMode = "transform";  // "transform" (ITK file in manifest) or "register" (resampled)
  int threads = 1;
  void validate() const;  // throws InputError naming the option
};

// Configured ranges (the tests check generated studies against them).
struct Ranges {
  int msLesionsMax = 60;
  double msDiameterMin = 3.0, msDiameterMax = 15.0;
  int newLesionsMax = 6;
  double activeMinVoxels = 2.5, activeDiameterMax = 12.0;  // new and enhancing lesions (Cohorts.cpp)
  int enhancingMax = 5;
  int sourcePathologiesMin = 1, sourcePathologiesMax = 3;
  int metastasesMin = 1, metastasesMax = 8;
  double metDiameterMin = 4.0, metDiameterMax = 30.0;
};
const Ranges& ranges();

struct LesionRecord {
  std::string kind;
  double diameterMm = 0;  // volume-equivalent diameter before irregularity
  bool labelled = false;
  bool isNew = false;
};

struct Study {
  std::string subject, session;
  std::vector<std::pair<std::string, FloatVolume>> channels;
  MaskVolume label, brainmask;
  MaskVolume regions;                   // Region (Phantom.h) per voxel, written as <subject>_regions.nii.gz
  std::vector<LesionRecord> lesions;
  std::optional<Rigid> priorTransform;  // ms_longitudinal transform mode: reference -> prior image
};

Study makeStudy(const CohortOptions& options, int index);

// Names the generator gives: "MSF001" for ms_flair study 0; session "2" for ms_longitudinal, else "1".
std::string subjectId(const std::string& cohort, int index);
std::string sessionOf(const std::string& cohort);

struct Preset {
  std::string name;
  Size3 shape;
  double spacingMm;
  std::vector<std::pair<std::string, int>> counts;  // cohort -> studies
};
const Preset& preset(const std::string& name);  // "demo" or "paper"; throws InputError

// Writes the cohort folder (see above). Skips work when the folder holds a
// complete cohort generated with the same options (cohort.json matches).
// Returns the manifest path.
std::filesystem::path generateCohort(const CohortOptions& options, const std::filesystem::path& outRoot,
                                     bool progress);

// PNG of the slice with most label voxels: channels side by side, label outline in red.
void writePreview(const Study& study, const std::filesystem::path& png);

// Trilinear resampling of `moving` at T(p) for every point p of `grid`.
FloatVolume resampleThrough(const FloatVolume& moving, const Geometry& grid, const Rigid& t);

}  // namespace mst::synth
