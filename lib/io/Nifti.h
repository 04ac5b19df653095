// NIfTI reading and writing (ITK inside; no ITK types in this header).
//
// Images of any scalar type are read as float32, masks as uint8. Geometry
// (size, spacing, origin, direction) is kept exactly as ITK reports it (LPS).
// Every failure throws mst::InputError naming the file.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "lib/core/Volume.h"

namespace mst::io {

struct ImageInfo {
  Geometry geom;
  std::string pixelType;      // e.g. "uint16", "float"
  unsigned components = 1;    // >1 for vector images (not supported as channels)
};

// Header only: no voxel data is decoded.
ImageInfo readImageInfo(const std::filesystem::path& path);

// Voxel data are checked on every read: a truncated or damaged file, or
// NaN/Inf voxels, throw InputError naming the file.
FloatVolume readImage(const std::filesystem::path& path);

// Reads a mask and binarises it (nonzero = 1). Values other than 0 and 1 found
// in the file are returned in `otherValues` (at most 10, sorted) when given.
MaskVolume readMaskRaw(const std::filesystem::path& path, std::vector<double>* otherValues);
// As readMaskRaw, and logs a warning naming the file and the values found.
MaskVolume readMask(const std::filesystem::path& path);

// Write with the volume's geometry; atomic (temporary name, then rename).
// The format follows the extension (.nii, .nii.gz).
void writeImage(const std::filesystem::path& path, const FloatVolume& volume);
void writeMask(const std::filesystem::path& path, const MaskVolume& volume);

// Reads the raw voxel data of a NIfTI-1/NIfTI-2 file (plain or gzip)
// without ITK: counts non-finite float voxels (ITK's reader silently turns
// them into 0) and detects data shorter than the header promises.
struct VoxelScan {
  int64_t nonFinite = 0;
  bool truncated = false;
  int64_t expectedBytes = 0, foundBytes = 0;
  std::string gzipError;  // zlib's message when the gzip stream is cut or damaged
};
VoxelScan scanVoxels(const std::filesystem::path& path);

bool looksLikeNifti(const std::filesystem::path& path);  // .nii or .nii.gz

}  // namespace mst::io
