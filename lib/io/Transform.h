// Affine transforms as ITK writes them (.txt/.tfm "Insight Transform File",
// or .mat), in ITK's convention: the transform maps points of the fixed
// (reference) space into the moving image, which is what a resampler needs
// (for each output voxel, where to sample the input).
//
// Supported: every ITK transform of the MatrixOffsetTransformBase family
// (AffineTransform, MatrixOffsetTransformBase, Euler3D, VersorRigid3D,
// Similarity3D, ScaleSkewVersor3D), and composite files holding a chain of
// them. Deformable transforms are rejected with a clear error.
#pragma once

#include <array>
#include <filesystem>
#include <string>

#include "lib/core/Volume.h"

namespace mst::io {

struct AffineTransform {
  std::array<double, 9> matrix{1, 0, 0, 0, 1, 0, 0, 0, 1};  // row-major
  Vec3 offset{0, 0, 0};
  std::string kind = "identity";  // the ITK class name read from the file

  Vec3 apply(const Vec3& p) const;
  AffineTransform then(const AffineTransform& next) const;  // next(this(p))
};

AffineTransform readTransform(const std::filesystem::path& path);
void writeTransform(const std::filesystem::path& path, const AffineTransform& t);

}  // namespace mst::io
