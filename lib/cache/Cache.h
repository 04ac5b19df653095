// The HDF5 cache of preprocessed studies, built once per manifest and
// preprocessing setting and shared by every run of an experiment.
//
// File layout (format version 1):
//   /                 attrs: format_version, complete (1 once fully written),
//                     config (canonical preprocessing text), config_hash,
//                     channels, mstransfer_version, git_commit
//   /studies/<id>/image      [C, Z, Y, X] float32 or float16, chunked
//                            [C, cz, cy, cx], shuffle + deflate(1)
//   /studies/<id>/label      [Z, Y, X] uint8 (absent without labels)
//   /studies/<id>/brainmask  [Z, Y, X] uint8
//   /studies/<id>/lesion_voxels  [N, 3] int32 (x, y, z), every label voxel
//                            (a deterministic subsample above 50000)
//   /studies/<id>/lesion_centres [M, 3] float64 (x, y, z) per 26-connected lesion
//   /studies/<id>/brain_voxels   [K, 3] int32, a regular subsample of the mask
//   study attrs: subject, session, key (hash of config + input files),
//                inputs (file identities), mapping geometries, crop, norm stats
//
// Builds write a temporary file and rename it on success; a lock file
// serialises concurrent builders; readers open read-only and may run in
// many processes at once. Patch reads use direct chunk reads under the HDF5
// lock and decompress outside it (Debian's HDF5 serialises all calls).
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "lib/core/Volume.h"
#include "lib/io/Manifest.h"
#include "lib/preprocess/Preprocess.h"

namespace mst::cache {

constexpr int kFormatVersion = 2;  // 2: the config attribute is JSON

struct StudyMeta {
  std::string id, subject, session, key;
  Size3 size{0, 0, 0};  // x, y, z of the cached arrays
  int channels = 0;
  bool hasLabel = false;
  preprocess::GridMapping mapping;
  std::vector<std::array<double, 2>> normalization;
  int64_t lesionVoxels = 0;
  int lesions = 0;
};

struct BuildOptions {
  int threads = 1;
  bool progress = true;
};

struct BuildReport {
  int total = 0, built = 0, reused = 0;
  bool upToDate = false;   // nothing had to be written
  bool rebuiltCorrupt = false;
  std::string corruptReason;
  double seconds = 0;
};

// Per-study cache key: preprocessing settings plus identity (path, size,
// mtime) of every input file of the row.
std::string studyKey(const io::StudyRow& row, const preprocess::PreprocessConfig& config);

// Builds or updates `file` for every study of the manifest. Input problems
// throw InputError; a corrupt or truncated existing cache is reported in the
// report (and the log) and rebuilt.
BuildReport buildCache(const io::Manifest& manifest, const preprocess::PreprocessConfig& config,
                       const std::filesystem::path& file, const BuildOptions& options = {});

// Why `file` is not a usable cache, or "" when it is one.
std::string validateCacheFile(const std::filesystem::path& file);

class CacheReader {
 public:
  // Throws mst::Error naming the file when it is missing, truncated,
  // incomplete or of another format version.
  explicit CacheReader(const std::filesystem::path& file, size_t chunkCacheBytes = 256u << 20);
  ~CacheReader();
  CacheReader(const CacheReader&) = delete;
  CacheReader& operator=(const CacheReader&) = delete;

  const std::filesystem::path& file() const { return file_; }
  const std::vector<StudyMeta>& studies() const { return studies_; }
  int indexOf(const std::string& id) const;  // -1 when absent
  const std::vector<std::string>& channels() const { return channels_; }
  const std::string& config() const { return config_; }

  // Reads the region [start, start + size) (x, y, z; may extend past the
  // volume: zero padding) into image [C][Z][Y][X] and optional label/brain
  // [Z][Y][X]. Thread-safe.
  void readRegion(int study, const std::array<int64_t, 3>& start, const Size3& size, float* image, uint8_t* label,
                  uint8_t* brain) const;

  // Whole arrays, for inference.
  std::vector<FloatVolume> readImage(int study) const;
  MaskVolume readLabel(int study) const;
  MaskVolume readBrainmask(int study) const;
  std::vector<std::array<int32_t, 3>> lesionVoxels(int study) const;
  std::vector<std::array<double, 3>> lesionCentres(int study) const;
  std::vector<std::array<int32_t, 3>> brainVoxels(int study) const;

  struct Stats {
    int64_t chunkReads = 0, chunkHits = 0, bytesRead = 0;
  };
  Stats stats() const;

 private:
  struct Dataset;
  std::shared_ptr<const std::vector<uint8_t>> chunk(int study, int which, const std::array<int64_t, 3>& chunkIndex) const;

  std::filesystem::path file_;
  int64_t fileId_ = -1;
  std::vector<StudyMeta> studies_;
  std::vector<std::string> channels_;
  std::string config_;
  std::vector<std::array<std::unique_ptr<Dataset>, 3>> datasets_;  // image, label, brainmask per study

  mutable std::mutex cacheMutex_;
  size_t capacity_;
  mutable size_t used_ = 0;
  using Key = std::array<int64_t, 5>;
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  mutable std::list<std::pair<Key, std::shared_ptr<const std::vector<uint8_t>>>> lru_;
  mutable std::unordered_map<Key, decltype(lru_)::iterator, KeyHash> index_;
  mutable Stats stats_;
};

// float16 <-> float32 (IEEE 754 binary16, round to nearest even).
uint16_t floatToHalf(float f);
float halfToFloat(uint16_t h);

}  // namespace mst::cache
