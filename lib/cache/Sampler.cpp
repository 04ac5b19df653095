#include "lib/cache/Sampler.h"

#include <algorithm>
#include <cmath>

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
  const int64_t px = P[0], py = P[1], pz = P[2], vox = px * py * pz;
  const int C = channels_;
  const AugmentConfig& A = cfg_.augment;
  const bool rotate = A.enabled && rng.chance(A.rotateProb);
  const bool scale = A.enabled && rng.chance(A.scaleProb);
  std::vector<uint8_t> lab(static_cast<size_t>(vox));
  if (!rotate && !scale) {
    cache_->readRegion(study, {c[0] - px / 2, c[1] - py / 2, c[2] - pz / 2}, P, image, lab.data(), nullptr);
  } else {
    // Read a larger region, then sample the rotated/scaled patch from it.
    const double s = scale ? rng.uniform(A.scaleMin, A.scaleMax) : 1.0;
    double R[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    if (rotate) {
      const Vec3 axis = rng.unitVector();
      const double ang = rng.uniform(-A.maxRotateDeg, A.maxRotateDeg) * M_PI / 180.0;
      const double co = std::cos(ang), si = std::sin(ang), t = 1 - co;
      const double x = axis[0], y = axis[1], z = axis[2];
      const double r[9] = {t * x * x + co,     t * x * y - si * z, t * x * z + si * y,
                           t * x * y + si * z, t * y * y + co,     t * y * z - si * x,
                           t * x * z - si * y, t * y * z + si * x, t * z * z + co};
      std::copy(r, r + 9, R);
    }
    const double reach = s * std::sqrt(static_cast<double>(px * px + py * py + pz * pz)) / 2 + 2;
    const int64_t half = static_cast<int64_t>(std::ceil(reach));
    const Size3 big{2 * half + 1, 2 * half + 1, 2 * half + 1};
    const int64_t bvox = big[0] * big[1] * big[2];
    std::vector<float> bimg(static_cast<size_t>(C * bvox));
    std::vector<uint8_t> blab(static_cast<size_t>(bvox));
    cache_->readRegion(study, {c[0] - half, c[1] - half, c[2] - half}, big, bimg.data(), blab.data(), nullptr);
    for (int64_t k = 0; k < pz; ++k)
      for (int64_t j = 0; j < py; ++j)
        for (int64_t i = 0; i < px; ++i) {
          const double d[3] = {(i - px / 2) * s, (j - py / 2) * s, (k - pz / 2) * s};
          const double q[3] = {half + R[0] * d[0] + R[1] * d[1] + R[2] * d[2], half + R[3] * d[0] + R[4] * d[1] + R[5] * d[2],
                               half + R[6] * d[0] + R[7] * d[1] + R[8] * d[2]};
          const int64_t out = (k * py + j) * px + i;
          const int64_t nx = static_cast<int64_t>(std::lround(q[0])), ny = static_cast<int64_t>(std::lround(q[1])),
                        nz = static_cast<int64_t>(std::lround(q[2]));
          lab[static_cast<size_t>(out)] = blab[static_cast<size_t>((nz * big[1] + ny) * big[0] + nx)];
          const int64_t x0 = static_cast<int64_t>(std::floor(q[0])), y0 = static_cast<int64_t>(std::floor(q[1])),
                        z0 = static_cast<int64_t>(std::floor(q[2]));
          const double tx = q[0] - x0, ty = q[1] - y0, tz = q[2] - z0;
          for (int ch = 0; ch < C; ++ch) {
            const float* src = bimg.data() + ch * bvox;
            auto at = [&](int64_t x, int64_t y, int64_t z) { return src[(z * big[1] + y) * big[0] + x]; };
            const double v = (1 - tz) * ((1 - ty) * ((1 - tx) * at(x0, y0, z0) + tx * at(x0 + 1, y0, z0)) +
                                         ty * ((1 - tx) * at(x0, y0 + 1, z0) + tx * at(x0 + 1, y0 + 1, z0))) +
                             tz * ((1 - ty) * ((1 - tx) * at(x0, y0, z0 + 1) + tx * at(x0 + 1, y0, z0 + 1)) +
                                   ty * ((1 - tx) * at(x0, y0 + 1, z0 + 1) + tx * at(x0 + 1, y0 + 1, z0 + 1)));
            image[ch * vox + out] = static_cast<float>(v);
          }
        }
  }
  // Mirroring.
  if (A.enabled) {
    for (int axis = 0; axis < 3; ++axis) {
      if (!rng.chance(A.flipProb)) continue;
      for (int ch = 0; ch <= C; ++ch) {
        for (int64_t k = 0; k < pz; ++k)
          for (int64_t j = 0; j < py; ++j)
            for (int64_t i = 0; i < px; ++i) {
              const int64_t idx[3] = {i, j, k};
              const int64_t lim[3] = {px, py, pz};
              if (idx[axis] >= lim[axis] / 2) continue;
              int64_t m[3] = {i, j, k};
              m[axis] = lim[axis] - 1 - idx[axis];
              const int64_t a = (k * py + j) * px + i, b2 = (m[2] * py + m[1]) * px + m[0];
              if (ch < C) std::swap(image[ch * vox + a], image[ch * vox + b2]);
              else std::swap(lab[static_cast<size_t>(a)], lab[static_cast<size_t>(b2)]);
            }
      }
    }
    // Intensity: scale/shift, gamma, noise, per channel.
    for (int ch = 0; ch < C; ++ch) {
      float* x = image + ch * vox;
      if (rng.chance(A.intensityProb)) {
        const double m = rng.uniform(0.9, 1.1), sh = rng.uniform(-0.1, 0.1);
        for (int64_t v = 0; v < vox; ++v) x[v] = static_cast<float>(x[v] * m + sh);
      }
      if (rng.chance(A.gammaProb)) {
        const double g = rng.uniform(A.gammaMin, A.gammaMax);
        const auto [mn, mx] = std::minmax_element(x, x + vox);
        const double lo = *mn, range = std::max(1e-6, static_cast<double>(*mx) - lo);
        for (int64_t v = 0; v < vox; ++v) x[v] = static_cast<float>(std::pow((x[v] - lo) / range, g) * range + lo);
      }
      if (rng.chance(A.noiseProb)) {
        const double sigma = rng.uniform(0.0, A.noiseMaxSigma);
        for (int64_t v = 0; v < vox; ++v) x[v] = static_cast<float>(x[v] + rng.normal(0, sigma));
      }
    }
  }
  for (int64_t v = 0; v < vox; ++v) label[v] = lab[static_cast<size_t>(v)] ? 1.0f : 0.0f;
}

}  // namespace mst::cache
