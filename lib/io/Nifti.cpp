#include "lib/io/Nifti.h"

#include <itkImage.h>
#include <itkImageFileReader.h>
#include <itkImageFileWriter.h>
#include <itkImageIOFactory.h>
#include <itkNiftiImageIOFactory.h>

#include <mutex>

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <cmath>
#include <cctype>
#include <set>

#include "lib/core/Error.h"
#include "lib/core/Fs.h"
#include "lib/core/Log.h"
#include "lib/io/ItkBridge.h"

namespace mst::io {

namespace {

// Explicit factory registration instead of ITK_USE_FILE: ITK's include paths
// and generated register-managers then stay inside this module.
void registerFactories() {
  static std::once_flag once;
  std::call_once(once, [] { itk::NiftiImageIOFactory::RegisterOneFactory(); });
}

void requireExists(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw InputError("'" + path.string() + "': file not found");
  if (std::filesystem::is_directory(path, ec)) throw InputError("'" + path.string() + "': is a folder, expected a NIfTI file");
  // Text and other non-image files: say so instead of ITK's reader errors.
  static const std::set<std::string> kNotImages = {".csv", ".tsv", ".txt", ".json", ".toml", ".tfm", ".mat",
                                                   ".h5",  ".pt",  ".md",  ".py",   ".xml"};
  std::string ext = path.extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (kNotImages.count(ext))
    throw InputError("'" + path.string() + "': a " + ext + " file, not an image; expected a NIfTI image (.nii or .nii.gz)");
}

std::string describe(const itk::ExceptionObject& e) {
  std::string d = e.GetDescription();
  while (!d.empty() && (d.back() == '\n' || d.back() == ' ')) d.pop_back();
  return d;
}

VoxelScan scanVoxelsImpl(const std::filesystem::path& path);

template <class PixelT>
Volume<PixelT> readAs(const std::filesystem::path& path) {
  requireExists(path);
  registerFactories();
  // ITK pads a short file (plain or gzip) without complaint and turns NaN/Inf into 0: the raw
  // scan checks both, wherever an image is read.
  if (looksLikeNifti(path)) {
    VoxelScan s = scanVoxelsImpl(path);
    if (s.truncated)
      throw InputError("'" + path.string() + "': truncated: expected " + std::to_string(s.expectedBytes) +
                       " bytes of voxel data, found " + std::to_string(s.foundBytes) +
                       (s.gzipError.empty() ? std::string() : " (" + s.gzipError + ")"));
    if (s.nonFinite)
      throw InputError("'" + path.string() + "': " + std::to_string(s.nonFinite) + " NaN/Inf voxels, expected none");
  }
  using ImageT = itk::Image<PixelT, 3>;
  auto reader = itk::ImageFileReader<ImageT>::New();
  reader->SetFileName(path.string());
  try {
    reader->Update();
  } catch (const itk::ExceptionObject& e) {
    throw InputError("'" + path.string() + "': cannot read image: " + describe(e));
  }
  return fromItk<PixelT>(reader->GetOutput());
}

template <class PixelT>
void writeAs(const std::filesystem::path& path, const Volume<PixelT>& v) {
  if (static_cast<int64_t>(v.data.size()) != v.geom.numVoxels())
    throw Error("writeImage('" + path.string() + "'): data size does not match geometry " + v.geom.describe());
  using ImageT = itk::Image<PixelT, 3>;
  auto img = toItk(v);
  registerFactories();
  AtomicOutput out(path);
  auto writer = itk::ImageFileWriter<ImageT>::New();
  writer->SetFileName(out.tempPath().string());
  writer->SetInput(img);
  writer->SetUseCompression(true);
  try {
    writer->Update();
  } catch (const itk::ExceptionObject& e) {
    throw Error("'" + path.string() + "': cannot write image: " + describe(e));
  }
  out.commit();
}

}  // namespace

bool looksLikeNifti(const std::filesystem::path& path) {
  const std::string n = path.filename().string();
  auto ends = [&](const std::string& s) { return n.size() >= s.size() && n.compare(n.size() - s.size(), s.size(), s) == 0; };
  return ends(".nii") || ends(".nii.gz");
}

ImageInfo readImageInfo(const std::filesystem::path& path) {
  requireExists(path);
  registerFactories();
  auto imageIO = itk::ImageIOFactory::CreateImageIO(path.c_str(), itk::IOFileModeEnum::ReadMode);
  if (!imageIO) throw InputError("'" + path.string() + "': not a readable image (unknown format or corrupt header)");
  imageIO->SetFileName(path.string());
  try {
    imageIO->ReadImageInformation();
  } catch (const itk::ExceptionObject& e) {
    throw InputError("'" + path.string() + "': cannot read image header: " + describe(e));
  }
  ImageInfo info;
  const unsigned nd = imageIO->GetNumberOfDimensions();
  for (unsigned d = 0; d < 3; ++d) {
    info.geom.size[d] = d < nd ? static_cast<int64_t>(imageIO->GetDimensions(d)) : 1;
    info.geom.spacing[d] = d < nd ? imageIO->GetSpacing(d) : 1.0;
    info.geom.origin[d] = d < nd ? imageIO->GetOrigin(d) : 0.0;
  }
  for (unsigned c = 0; c < 3 && c < nd; ++c) {
    auto dir = imageIO->GetDirection(c);
    for (unsigned r = 0; r < 3 && r < dir.size(); ++r) info.geom.direction[3 * r + c] = dir[r];
  }
  info.pixelType = itk::ImageIOBase::GetComponentTypeAsString(imageIO->GetComponentType());
  info.components = imageIO->GetNumberOfComponents();
  return info;
}

FloatVolume readImage(const std::filesystem::path& path) { return readAs<float>(path); }

MaskVolume readMaskRaw(const std::filesystem::path& path, std::vector<double>* otherValues) {
  FloatVolume f = readAs<float>(path);
  MaskVolume m;
  m.geom = f.geom;
  m.data.resize(f.data.size());
  std::set<double> other;
  for (size_t i = 0; i < f.data.size(); ++i) {
    const float x = f.data[i];
    m.data[i] = (x != 0.0f) ? 1 : 0;  // NaN counts as nonzero, reported below
    if (x != 0.0f && x != 1.0f && other.size() < 10) other.insert(static_cast<double>(x));
  }
  if (otherValues) otherValues->assign(other.begin(), other.end());
  return m;
}

MaskVolume readMask(const std::filesystem::path& path) {
  std::vector<double> other;
  MaskVolume m = readMaskRaw(path, &other);
  if (!other.empty()) {
    std::string vals;
    for (double v : other) vals += (vals.empty() ? "" : ", ") + log::cat(v);
    log::warn("'", path.string(), "': mask has values other than 0/1 (", vals,
              "); binarised as nonzero = lesion");
  }
  return m;
}

void writeImage(const std::filesystem::path& path, const FloatVolume& v) { writeAs<float>(path, v); }
void writeMask(const std::filesystem::path& path, const MaskVolume& v) { writeAs<uint8_t>(path, v); }

}  // namespace mst::io

// ---------------------------------------------------------------- raw scan

namespace mst::io {

namespace {
template <class T>
T readAt(const unsigned char* h, size_t off, bool swap) {
  T v;
  std::memcpy(&v, h + off, sizeof(T));
  if (swap) {
    auto* b = reinterpret_cast<unsigned char*>(&v);
    std::reverse(b, b + sizeof(T));
  }
  return v;
}
}  // namespace

namespace {
VoxelScan scanVoxelsImpl(const std::filesystem::path& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw InputError("'" + path.string() + "': cannot open file");
  std::unique_ptr<gzFile_s, int (*)(gzFile)> guard(f, gzclose);
  unsigned char h[540];
  const int got = gzread(f, h, sizeof h);
  if (got < 348)
    throw InputError("'" + path.string() + "': truncated or not a NIfTI file (" + std::to_string(std::max(got, 0)) +
                     " header bytes, expected at least 348)");
  int64_t n = 1, voxOffset = 0;
  int datatype = 0, bitpix = 0;
  const int32_t s1 = readAt<int32_t>(h, 0, false);
  bool swap = false;
  if (s1 == 348 || readAt<int32_t>(h, 0, true) == 348) {
    swap = s1 != 348;
    const int nd = readAt<int16_t>(h, 40, swap);
    for (int d = 1; d <= nd && d <= 7; ++d) n *= std::max<int16_t>(1, readAt<int16_t>(h, 40 + 2 * d, swap));
    datatype = readAt<int16_t>(h, 70, swap);
    bitpix = readAt<int16_t>(h, 72, swap);
    voxOffset = static_cast<int64_t>(readAt<float>(h, 108, swap));
    if (voxOffset < 348) voxOffset = 352;
  } else if (s1 == 540 || readAt<int32_t>(h, 0, true) == 540) {
    swap = s1 != 540;
    if (got < 540) throw InputError("'" + path.string() + "': NIfTI-2 header truncated");
    const int64_t nd = readAt<int64_t>(h, 16, swap);
    for (int d = 1; d <= nd && d <= 7; ++d) n *= std::max<int64_t>(1, readAt<int64_t>(h, 16 + 8 * d, swap));
    datatype = readAt<int16_t>(h, 12, swap);
    bitpix = readAt<int16_t>(h, 14, swap);
    voxOffset = readAt<int64_t>(h, 168, swap);
  } else {
    throw InputError("'" + path.string() + "': not a NIfTI file (sizeof_hdr is neither 348 nor 540)");
  }
  VoxelScan scan;
  scan.expectedBytes = n * (bitpix / 8);
  if (gzseek(f, static_cast<z_off_t>(voxOffset), SEEK_SET) < 0) {
    scan.truncated = true;
    return scan;
  }
  std::vector<unsigned char> buf(1 << 20);
  int64_t remaining = scan.expectedBytes;
  const int elem = bitpix / 8;
  while (remaining > 0) {
    const int want = static_cast<int>(std::min<int64_t>(remaining, static_cast<int64_t>(buf.size())));
    const int r = gzread(f, buf.data(), want);
    if (r <= 0) break;
    if (datatype == 16 || datatype == 64) {  // DT_FLOAT32, DT_FLOAT64
      for (int i = 0; i + elem <= r; i += elem) {
        double x = datatype == 16 ? static_cast<double>(readAt<float>(buf.data(), i, swap)) : readAt<double>(buf.data(), i, swap);
        scan.nonFinite += !std::isfinite(x);
      }
    }
    scan.foundBytes += r;
    remaining -= r;
  }
  scan.truncated = scan.foundBytes < scan.expectedBytes;
  if (!scan.truncated) {
    // Reading on to the end makes zlib check the gzip trailer (CRC and length): a cut or
    // damaged .nii.gz whose voxel bytes happen to be complete is caught here.
    unsigned char extra[4096];
    while (gzread(f, extra, sizeof extra) > 0) {
    }
    int err = Z_OK;
    const char* msg = gzerror(f, &err);
    if (err != Z_OK && err != Z_STREAM_END) {
      scan.truncated = true;
      scan.gzipError = msg ? msg : "gzip error";
    }
  } else {
    int err = Z_OK;
    const char* msg = gzerror(f, &err);
    if (err != Z_OK && err != Z_STREAM_END && msg) scan.gzipError = msg;
  }
  return scan;
}
}  // namespace

VoxelScan scanVoxels(const std::filesystem::path& path) {
  requireExists(path);
  return scanVoxelsImpl(path);
}

}  // namespace mst::io
