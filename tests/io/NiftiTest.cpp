#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>

#include "lib/core/Error.h"
#include "lib/io/Nifti.h"
#include "tests/support/TestSupport.h"

using namespace mst;
namespace fs = std::filesystem;

namespace {

// Writes an uncompressed NIfTI-1 file by hand (header layout from the NIfTI-1
// standard, nifti1.h), independent of ITK, with int16 data and an sform.
void writeInt16Nifti(const fs::path& p, int nx, int ny, int nz, const std::vector<int16_t>& data, float dx,
                     size_t truncateTo = 0) {
  char hdr[352] = {};
  auto put32 = [&](int off, int32_t v) { std::memcpy(hdr + off, &v, 4); };
  auto put16 = [&](int off, int16_t v) { std::memcpy(hdr + off, &v, 2); };
  auto putf = [&](int off, float v) { std::memcpy(hdr + off, &v, 4); };
  put32(0, 348);
  put16(40, 3);
  put16(42, static_cast<int16_t>(nx));
  put16(44, static_cast<int16_t>(ny));
  put16(46, static_cast<int16_t>(nz));
  put16(48, 1);
  put16(50, 1);
  put16(52, 1);
  put16(54, 1);
  put16(70, 4);   // datatype: DT_INT16
  put16(72, 16);  // bitpix
  putf(76, 1.0f);
  putf(80, dx);
  putf(84, dx);
  putf(88, dx);
  putf(108, 352.0f);  // vox_offset
  putf(112, 1.0f);    // scl_slope
  hdr[123] = 10;      // xyzt_units: mm + s
  put16(252, 0);      // qform_code
  put16(254, 1);      // sform_code: scanner
  // srow: RAS affine, identity * dx, origin (-10, -20, 5)
  putf(280, dx); putf(284, 0); putf(288, 0); putf(292, -10);
  putf(296, 0); putf(300, dx); putf(304, 0); putf(308, -20);
  putf(312, 0); putf(316, 0); putf(320, dx); putf(324, 5);
  std::memcpy(hdr + 344, "n+1\0", 4);
  std::ofstream f(p, std::ios::binary);
  f.write(hdr, 352);
  size_t bytes = data.size() * 2;
  if (truncateTo) bytes = truncateTo;
  f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(bytes));
}

}  // namespace

TEST(NiftiReader, ReadsInt16AsFloatWithGeometryFromSform) {
  test::TempDir dir;
  std::vector<int16_t> data(4 * 3 * 2);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<int16_t>(i * 100 - 500);
  writeInt16Nifti(dir / "a.nii", 4, 3, 2, data, 1.5f);
  FloatVolume v = io::readImage(dir / "a.nii");
  EXPECT_EQ(v.geom.size, (Size3{4, 3, 2}));
  EXPECT_DOUBLE_EQ(v.geom.spacing[0], 1.5);
  // RAS (-10,-20,5) is LPS (10,20,5): ITK flips x and y and the direction.
  EXPECT_NEAR(v.geom.origin[0], 10, 1e-5);
  EXPECT_NEAR(v.geom.origin[1], 20, 1e-5);
  EXPECT_NEAR(v.geom.origin[2], 5, 1e-5);
  EXPECT_NEAR(v.geom.direction[0], -1, 1e-6);
  EXPECT_NEAR(v.geom.direction[4], -1, 1e-6);
  EXPECT_FLOAT_EQ(v.at(1, 0, 0), -400.f);
  EXPECT_FLOAT_EQ(v.at(0, 1, 0), -100.f);
  EXPECT_FLOAT_EQ(v.at(3, 2, 1), 1800.f);
  io::ImageInfo info = io::readImageInfo(dir / "a.nii");
  EXPECT_EQ(info.pixelType, "short");
}

TEST(NiftiWriter, RoundTripKeepsVoxelsSpacingOriginAndDirection) {
  test::TempDir dir;
  Geometry g;
  g.size = {5, 6, 7};
  g.spacing = {0.7, 0.8, 3.0};
  g.origin = {-12.5, 30.25, 7};
  const double c = std::cos(0.3), s = std::sin(0.3);
  g.direction = {c, -s, 0, s, c, 0, 0, 0, 1};
  FloatVolume v(g);
  for (size_t i = 0; i < v.data.size(); ++i) v.data[i] = static_cast<float>(i) * 0.25f - 3.f;
  io::writeImage(dir / "r.nii.gz", v);
  FloatVolume w = io::readImage(dir / "r.nii.gz");
  EXPECT_TRUE(w.geom.sameGrid(g, 1e-5)) << w.geom.describe();
  EXPECT_EQ(w.data, v.data);
  for (const auto& e : fs::directory_iterator(dir.path()))
    EXPECT_EQ(e.path().filename().string().rfind(".tmp", 0), std::string::npos) << "temporary file left behind";
}

TEST(NiftiReader, MaskWithOtherValuesIsBinarisedAndValuesReported) {
  test::TempDir dir;
  FloatVolume v(test::cubeGeometry(4));
  v.data[0] = 1;
  v.data[1] = 2;
  v.data[2] = 0.5f;
  io::writeImage(dir / "m.nii.gz", v);
  std::vector<double> other;
  MaskVolume m = io::readMaskRaw(dir / "m.nii.gz", &other);
  EXPECT_EQ(m.data[0], 1);
  EXPECT_EQ(m.data[1], 1);
  EXPECT_EQ(m.data[2], 1);
  EXPECT_EQ(m.data[3], 0);
  EXPECT_EQ(other, (std::vector<double>{0.5, 2.0}));
}

TEST(NiftiReader, MissingFileNamesTheFile) {
  try {
    io::readImage("/no/such/dir/img.nii.gz");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), "'/no/such/dir/img.nii.gz': file not found");
  }
}

TEST(NiftiReader, TruncatedDataIsAnInputErrorNamingTheFile) {
  test::TempDir dir;
  std::vector<int16_t> data(8 * 8 * 8, 7);
  writeInt16Nifti(dir / "t.nii", 8, 8, 8, data, 1.f, 100);
  try {
    io::readImage(dir / "t.nii");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find((dir / "t.nii").string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("truncated: expected 1024 bytes of voxel data, found 100"), std::string::npos) << e.what();
  }
}

TEST(NiftiReader, GarbageGzipIsAnInputError) {
  test::TempDir dir;
  test::writeFile(dir / "g.nii.gz", "this is not gzip data at all, just text");
  EXPECT_THROW(io::readImage(dir / "g.nii.gz"), InputError);
}

TEST(NiftiScan, CountsNanAndInfThatItkSilentlyZeroes) {
  test::TempDir dir;
  FloatVolume v(test::cubeGeometry(4), 1.0f);
  v.data[3] = std::numeric_limits<float>::quiet_NaN();
  v.data[7] = -std::numeric_limits<float>::infinity();
  io::writeImage(dir / "n.nii.gz", v);
  // ITK's NIfTI reader turns non-finite voxels into 0, so every read scans the raw data itself
  // and refuses the file (issue: NaN images preprocessed with exit 0).
  try {
    io::readImage(dir / "n.nii.gz");
    FAIL() << "a NaN image was read";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find((dir / "n.nii.gz").string() + "': 2 NaN/Inf voxels, expected none"),
              std::string::npos) << e.what();
  }
  io::VoxelScan s = io::scanVoxels(dir / "n.nii.gz");
  EXPECT_EQ(s.nonFinite, 2);
  EXPECT_FALSE(s.truncated);
}

TEST(NiftiScan, DetectsTruncatedGzipData) {
  test::TempDir dir;
  FloatVolume v(test::cubeGeometry(16), 0.0f);
  for (size_t i = 0; i < v.data.size(); ++i) v.data[i] = static_cast<float>((i * 2654435761u) % 1000);
  io::writeImage(dir / "full.nii.gz", v);
  std::string bytes;
  {
    std::ifstream f(dir / "full.nii.gz", std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(f), {});
  }
  test::writeFile(dir / "cut.nii.gz", bytes.substr(0, bytes.size() / 2));
  io::VoxelScan s = io::scanVoxels(dir / "cut.nii.gz");
  EXPECT_TRUE(s.truncated);
  // Every reader refuses it (issue: a truncated .nii.gz was accepted by evaluate and preprocess,
  // which silently cropped the study). Cutting only the gzip trailer is caught by its CRC check.
  EXPECT_THROW(io::readImage(dir / "cut.nii.gz"), InputError);
  EXPECT_THROW(io::readMask(dir / "cut.nii.gz"), InputError);
  test::writeFile(dir / "trailer.nii.gz", bytes.substr(0, bytes.size() - 4));
  try {
    io::readImage(dir / "trailer.nii.gz");
    FAIL() << "a .nii.gz without its gzip trailer was read";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("trailer.nii.gz': truncated"), std::string::npos) << e.what();
  }
}
