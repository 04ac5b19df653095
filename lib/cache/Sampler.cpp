#include "lib/cache/Sampler.h"

#include <algorithm>
#include <cmath>

#include "lib/cache/Augment.h"
#include "lib/core/Error.h"
#include "lib/core/Random.h"

namespace mst::cache {



void SamplerConfig::validate(const std::string& where) const {
  ProblemList p;
  for (int a = 0; a < 3; ++a)
    if (patch[a] < 4 || patch[a] > 512) p.add(where + "patch: expected 4..512 voxels per axis, got " + std::to_string(patch[a]));
  if (batchSize < 1) p.add(where + "batch_size: expected >= 1, got " + std::to_string(batchSize));
  if (!(lesionFraction >= 0 && lesionFraction <= 1))
    p.add(where + "lesion_fraction: expected [0, 1], got " + std::to_string(lesionFraction));
  if (threads < 0) p.add(where + "threads: expected >= 0");
  p.throwIfAny();
  augment.validate(where + "augment.");
}

PatchSampler::PatchSampler(std::shared_ptr<const CacheReader> cache, std::vector<int> studies, SamplerConfig cfg)
    : cache_(std::move(cache)), studies_(std::move(studies)), cfg_(cfg) {
  cfg_.validate("sampler: ");
  if (studies_.empty()) throw InputError("sampler: no training studies");
  channels_ = cache_->studies().at(static_cast<size_t>(studies_[0])).channels;
  for (int s : studies_) {
    StudyPoints p;
    p.lesion = cache_->lesionVoxels(s);
    p.brain = cache_->brainVoxels(s);
    if (p.brain.empty()) throw Error("cache: study '" + cache_->studies()[s].id + "' has an empty brain mask");
    points_.push_back(std::move(p));
  }
  startWorkers();
}

PatchSampler::~PatchSampler() { stopWorkers(); }

void PatchSampler::startWorkers() {
  stop_ = false;
  nextToMake_ = position_;
  for (int t = 0; t < cfg_.threads; ++t)
    workers_.emplace_back([this]() {
      for (;;) {
        int64_t idx;
        {
          std::unique_lock<std::mutex> lock(mu_);
          cv_.wait(lock, [&] { return stop_ || nextToMake_ < position_ + cfg_.prefetch; });
          if (stop_) return;
          idx = nextToMake_++;
        }
        Batch b = make(idx);
        std::lock_guard<std::mutex> lock(mu_);
        if (idx >= position_) ready_.emplace(idx, std::move(b));
        cv_.notify_all();
      }
    });
}

void PatchSampler::stopWorkers() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& w : workers_) w.join();
  workers_.clear();
  ready_.clear();
}

void PatchSampler::seek(int64_t batchIndex) {
  stopWorkers();
  position_ = batchIndex;
  startWorkers();
}

Batch PatchSampler::next() {
  if (workers_.empty()) return make(position_++);
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return ready_.count(position_) > 0; });
  Batch b = std::move(ready_[position_]);
  ready_.erase(position_);
  ++position_;
  cv_.notify_all();
  return b;
}

Batch PatchSampler::make(int64_t batchIndex) const {
  Batch b;
  b.index = batchIndex;
  b.n = cfg_.batchSize;
  b.channels = channels_;
  b.patch = cfg_.patch;
  const size_t vox = static_cast<size_t>(cfg_.patch[0] * cfg_.patch[1] * cfg_.patch[2]);
  b.image.resize(static_cast<size_t>(b.n * channels_) * vox);
  b.label.resize(static_cast<size_t>(b.n) * vox);
  for (int i = 0; i < b.n; ++i) {
    bool lc = false;
    samplePatch(mix64(cfg_.seed ^ mix64(static_cast<uint64_t>(batchIndex) * 131 + static_cast<uint64_t>(i))),
                b.image.data() + static_cast<size_t>(i * channels_) * vox, b.label.data() + static_cast<size_t>(i) * vox,
                &lc);
    b.lesionCentred += lc;
  }
  return b;
}

void PatchSampler::samplePatch(uint64_t seed, float* image, float* label, bool* lesionCentred) const {
  Rng rng(seed);
  const size_t which = static_cast<size_t>(rng.integer(0, static_cast<int>(studies_.size()) - 1));
  const int study = studies_[which];
  const auto& pts = points_[which];
  const bool wantLesion = rng.chance(cfg_.lesionFraction);
  std::array<int32_t, 3> c;
  if (wantLesion && !pts.lesion.empty()) {
    c = pts.lesion[static_cast<size_t>(rng.integer(0, static_cast<int>(pts.lesion.size()) - 1))];
    *lesionCentred = true;
  } else {
    c = pts.brain[static_cast<size_t>(rng.integer(0, static_cast<int>(pts.brain.size()) - 1))];
  }
  const Size3 P = cfg_.patch;
  const int64_t vox = P[0] * P[1] * P[2];
  const SpatialTransform t = drawSpatial(rng, cfg_.augment);
  std::vector<uint8_t> lab(static_cast<size_t>(vox));
  if (!t.active) {
    cache_->readRegion(study, {c[0] - P[0] / 2, c[1] - P[1] / 2, c[2] - P[2] / 2}, P, image, lab.data(), nullptr);
  } else {
    // Read a larger region, then sample the rotated/scaled patch from it.
    const int64_t half = t.reach(P);
    const Size3 big{2 * half + 1, 2 * half + 1, 2 * half + 1};
    std::vector<float> bimg(static_cast<size_t>(channels_ * big[0] * big[1] * big[2]));
    std::vector<uint8_t> blab(static_cast<size_t>(big[0] * big[1] * big[2]));
    cache_->readRegion(study, {c[0] - half, c[1] - half, c[2] - half}, big, bimg.data(), blab.data(), nullptr);
    resamplePatch(t, bimg.data(), blab.data(), half, P, channels_, image, lab.data());
  }
  augmentInPlace(rng, cfg_.augment, P, channels_, image, lab.data());
  for (int64_t v = 0; v < vox; ++v) label[v] = lab[static_cast<size_t>(v)] ? 1.0f : 0.0f;
}

}  // namespace mst::cache
