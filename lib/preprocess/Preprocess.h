// Per-study preprocessing (ITK inside the .cpp only).
//
// Steps, in order, each recorded in the cache's provenance:
//  1. read the channels; a channel with a transform is resampled through it
//     onto the reference grid (the manifest's `reference`, else the first
//     channel's grid); channels and masks on other grids are resampled onto
//     it in physical space (masks nearest neighbour);
//  2. optional N4 bias-field correction per channel (ITK; on the raw,
//     positive intensities, hence before normalisation);
//  3. reorientation to the canonical orientation (identity direction in
//     ITK's LPS, i.e. the axes closest to L, P, S), an exact permutation/flip;
//  4. resampling to the target spacing (images linear or B-spline, masks
//     nearest); spacing 0 on an axis keeps that axis;
//  5. cropping to the brain-mask bounding box (nonzero of all channels when
//     there is no brain mask) plus a margin in voxels;
//  6. intensity normalisation per channel: z-score inside the brain mask
//     after clipping to percentiles (default 0.5/99.5), voxels outside the
//     mask set to 0; or none.
// Output arrays are [C][Z][Y][X] float32 (x fastest), masks [Z][Y][X] uint8.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "lib/core/Volume.h"
#include "lib/config/PreprocessConfig.h"
#include "lib/io/Manifest.h"

namespace mst::preprocess {


// Everything needed to map a prediction back onto the original grid.
struct GridMapping {
  Geometry reference;  // the grid of the manifest's reference (or first channel): predictions are written here
  Geometry resampled;  // after reorientation and resampling, before cropping
  std::array<int64_t, 3> cropStart{0, 0, 0};  // (x, y, z) voxel offset of the crop in `resampled`
  Geometry final;      // the cropped grid of the cached arrays
};

struct Study {
  std::string subject, session;
  std::vector<FloatVolume> channels;  // on mapping.final
  MaskVolume label;                   // empty data when the manifest has no label column
  MaskVolume brainmask;
  GridMapping mapping;
  std::vector<std::array<double, 2>> normalization;  // per channel: mean, sd used for the z-score
};

Study preprocessStudy(const io::StudyRow& row, const PreprocessConfig& config);

// Maps an array on mapping.final back onto mapping.reference: linear
// interpolation for probabilities (`linear` true), nearest for masks; zero
// outside the crop.
FloatVolume toReference(const FloatVolume& onFinal, const GridMapping& mapping, bool linear);
MaskVolume toReference(const MaskVolume& onFinal, const GridMapping& mapping);

// Sets the number of threads ITK filters may use.
void setThreads(int threads);

}  // namespace mst::preprocess
