// Random patch sampling from the HDF5 cache, with background prefetch and
// augmentation.
//
// Patch centres: with probability `lesionFraction` (default 1/3, as
// nnU-Net's foreground oversampling) a random lesion voxel of the study,
// otherwise a random brain voxel; studies without lesions always use a
// brain voxel. Studies are drawn uniformly. Batch i is a pure function of
// (seed, i): prefetch threads never change the sequence, and a resumed run
// continues it exactly (seek(i)). Patches are read as hyperslabs (chunks),
// never whole volumes; regions beyond the volume are zero.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "lib/cache/Cache.h"
#include "lib/config/AugmentConfig.h"

namespace mst::cache {


struct SamplerConfig {
  Size3 patch{32, 32, 32};  // x, y, z
  int batchSize = 2;
  double lesionFraction = 1.0 / 3.0;
  uint64_t seed = 1;
  int threads = 1;           // prefetch threads (0: synchronous)
  int prefetch = 4;          // batches prepared ahead
  AugmentConfig augment;
  void validate(const std::string& where) const;
};

struct Batch {
  int64_t index = 0;
  int n = 0, channels = 0;
  Size3 patch{0, 0, 0};
  std::vector<float> image;  // [N][C][Z][Y][X]
  std::vector<float> label;  // [N][1][Z][Y][X], 0 or 1
  int lesionCentred = 0;     // patches centred on a lesion voxel
};

class PatchSampler {
 public:
  PatchSampler(std::shared_ptr<const CacheReader> cache, std::vector<int> studies, SamplerConfig config);
  ~PatchSampler();
  PatchSampler(const PatchSampler&) = delete;
  PatchSampler& operator=(const PatchSampler&) = delete;

  Batch next();                   // the batch at position(), then advances
  int64_t position() const { return position_; }
  void seek(int64_t batchIndex);  // resume: the next call returns batch `batchIndex`
  Batch make(int64_t batchIndex) const;  // deterministic, no prefetch

 private:
  struct StudyPoints {
    std::vector<std::array<int32_t, 3>> lesion, brain;
  };
  void startWorkers();
  void stopWorkers();
  void samplePatch(uint64_t seed, float* image, float* label, bool* lesionCentred) const;

  std::shared_ptr<const CacheReader> cache_;
  std::vector<int> studies_;
  std::vector<StudyPoints> points_;
  SamplerConfig cfg_;
  int channels_ = 0;

  int64_t position_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<int64_t, Batch> ready_;
  int64_t nextToMake_ = 0;
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace mst::cache
