#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "lib/cache/Augment.h"
#include "lib/cache/Cache.h"
#include "lib/cache/Sampler.h"
#include "lib/core/Error.h"
#include "lib/io/Manifest.h"
#include "lib/io/Nifti.h"
#include "lib/preprocess/Preprocess.h"
#include "lib/synth/Synth.h"
#include "tests/support/CohortFixture.h"

using namespace mst;
namespace fs = std::filesystem;

using test::CohortFixture;
using test::build;
using test::slurp;

TEST(CacheBuild, SecondBuildIsAHitAndChangedSettingsRebuildEverything) {
  CohortFixture f;
  const fs::path file = f.dir / "c.h5";
  auto r1 = build(f, f.config(), file);
  EXPECT_EQ(r1.built, 4);
  EXPECT_FALSE(r1.upToDate);
  auto r2 = build(f, f.config(), file);
  EXPECT_TRUE(r2.upToDate);
  EXPECT_EQ(r2.built, 0);
  auto c = f.config();
  c.clipHigh = 99.0;
  auto r3 = build(f, c, file);
  EXPECT_EQ(r3.built, 4);
  EXPECT_EQ(r3.reused, 0);
}

TEST(CacheBuild, ChangedInputRebuildsOnlyThatStudy) {
  CohortFixture f;
  const fs::path file = f.dir / "c.h5";
  build(f, f.config(), file);
  auto m = io::readManifest(f.manifest);
  // Rewrite one study's image with different content.
  FloatVolume img = io::readImage(*m.rows[2].channel("flair"));
  for (auto& v : img.data) v *= 1.5f;
  io::writeImage(*m.rows[2].channel("flair"), img);
  auto r = build(f, f.config(), file);
  EXPECT_EQ(r.built, 1);
  EXPECT_EQ(r.reused, 3);
  cache::CacheReader reader(file);
  EXPECT_EQ(reader.studies().size(), 4u);
}

TEST(CacheBuild, InterruptedBuildLeavesNoUsableLookingFile) {
  CohortFixture f;
  const fs::path file = f.dir / "c.h5";
  // A study whose image is corrupt: structure passes, preprocessing fails half-way through the build.
  auto m = io::readManifest(f.manifest);
  test::writeFile(*m.rows[3].channel("flair"), "not a nifti");
  cache::BuildOptions o;
  o.progress = false;
  EXPECT_THROW(cache::buildCache(io::readManifest(f.manifest), f.config(), file, o), InputError);
  EXPECT_FALSE(fs::exists(file));
  for (const auto& e : fs::directory_iterator(f.dir.path()))
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
}

TEST(CacheBuild, FailedRebuildKeepsThePreviousCacheIntact) {
  CohortFixture f;
  const fs::path file = f.dir / "c.h5";
  build(f, f.config(), file);
  const std::string before = slurp(file);
  auto m = io::readManifest(f.manifest);
  test::writeFile(*m.rows[1].channel("flair"), "broken");
  cache::BuildOptions o;
  o.progress = false;
  EXPECT_THROW(cache::buildCache(io::readManifest(f.manifest), f.config(), file, o), InputError);
  EXPECT_EQ(slurp(file), before);
  EXPECT_EQ(cache::validateCacheFile(file), "");
}

TEST(CacheBuild, CorruptAndTruncatedFilesAreDetectedAndRebuilt) {
  CohortFixture f;
  const fs::path file = f.dir / "c.h5";
  build(f, f.config(), file);
  const std::string good = slurp(file);
  test::writeFile(file, good.substr(0, good.size() / 2));
  EXPECT_NE(cache::validateCacheFile(file), "");
  EXPECT_THROW(cache::CacheReader r(file), Error);
  auto r = build(f, f.config(), file);
  EXPECT_TRUE(r.rebuiltCorrupt);
  EXPECT_EQ(r.built, 4);
  EXPECT_EQ(cache::validateCacheFile(file), "");
  test::writeFile(file, "garbage");
  EXPECT_NE(cache::validateCacheFile(file).find("not an HDF5 file"), std::string::npos);
}

TEST(CacheReader, RegionReadsMatchWholeArraysIncludingPaddingAndSeveralThreads) {
  CohortFixture f;
  const fs::path file = f.dir / "c.h5";
  build(f, f.config(), file);
  cache::CacheReader reader(file, 1 << 20);  // small chunk cache: forces evictions
  const auto img = reader.readImage(1)[0];
  const auto lab = reader.readLabel(1);
  auto check = [&](std::array<int64_t, 3> start, Size3 size) {
    std::vector<float> buf(static_cast<size_t>(size[0] * size[1] * size[2]));
    std::vector<uint8_t> lb(buf.size());
    reader.readRegion(1, start, size, buf.data(), lb.data(), nullptr);
    for (int64_t k = 0; k < size[2]; ++k)
      for (int64_t j = 0; j < size[1]; ++j)
        for (int64_t i = 0; i < size[0]; ++i) {
          const int64_t x = start[0] + i, y = start[1] + j, z = start[2] + k;
          const size_t o = static_cast<size_t>((k * size[1] + j) * size[0] + i);
          const float expect = img.inside(x, y, z) ? img.at(x, y, z) : 0.0f;
          ASSERT_EQ(buf[o], expect) << x << "," << y << "," << z;
          ASSERT_EQ(lb[o], lab.inside(x, y, z) ? lab.at(x, y, z) : 0);
        }
  };
  std::vector<std::thread> ts;
  for (int t = 0; t < 3; ++t)
    ts.emplace_back([&, t] {
      check({-5 + t, 3, -2}, {20, 17, 23});
      check({10, 20 + t, 7}, {16, 16, 16});
      check({30, 40, 30 + t}, {24, 24, 24});
    });
  for (auto& t : ts) t.join();
  EXPECT_GT(reader.stats().chunkReads, 0);
}

TEST(CacheReader, Float16StorageRoundTripsWithinHalfPrecision) {
  CohortFixture f("ms_flair", 2);
  auto c32 = f.config(), c16 = f.config();
  c16.storage = "float16";
  build(f, c32, f.dir / "a.h5");
  build(f, c16, f.dir / "b.h5");
  cache::CacheReader a(f.dir / "a.h5"), b(f.dir / "b.h5");
  auto x = a.readImage(0)[0], y = b.readImage(0)[0];
  for (size_t i = 0; i < x.data.size(); ++i) ASSERT_NEAR(x.data[i], y.data[i], 2e-3 * (1 + std::abs(x.data[i])));
  EXPECT_LT(fs::file_size(f.dir / "b.h5"), fs::file_size(f.dir / "a.h5"));
  EXPECT_EQ(cache::halfToFloat(cache::floatToHalf(1.0f)), 1.0f);
  EXPECT_EQ(cache::halfToFloat(cache::floatToHalf(-2.5f)), -2.5f);
  EXPECT_EQ(cache::floatToHalf(65504.0f), 0x7bff);  // largest half
}

TEST(PatchSampler, LesionCentredFractionIsWithinToleranceOverManyDraws) {
  CohortFixture f("source_flair", 4);  // every study has lesions
  const fs::path file = f.dir / "c.h5";
  build(f, f.config(), file);
  auto reader = std::make_shared<cache::CacheReader>(file);
  cache::SamplerConfig sc;
  sc.patch = {16, 16, 16};
  sc.batchSize = 4;
  sc.threads = 2;
  sc.augment.enabled = false;
  cache::PatchSampler s(reader, {0, 1, 2, 3}, sc);
  int centred = 0, total = 0;
  double lesionVoxels = 0;
  for (int i = 0; i < 500; ++i) {
    auto b = s.next();
    centred += b.lesionCentred;
    total += b.n;
    for (float v : b.label) lesionVoxels += v;
  }
  // Binomial(2000, 1/3): sd ~ 0.0105; 4 sd tolerance.
  EXPECT_NEAR(static_cast<double>(centred) / total, 1.0 / 3.0, 0.042);
  EXPECT_GT(lesionVoxels, 0);
}

TEST(PatchSampler, SequenceIsDeterministicWithPrefetchAndResumesExactly) {
  CohortFixture f("ms_flair", 3);
  const fs::path file = f.dir / "c.h5";
  build(f, f.config(), file);
  auto reader = std::make_shared<cache::CacheReader>(file);
  cache::SamplerConfig sc;
  sc.patch = {16, 16, 16};
  sc.seed = 99;
  sc.augment.rotateProb = 0.5;
  sc.augment.scaleProb = 0.5;
  sc.threads = 2;
  cache::PatchSampler a(reader, {0, 1, 2}, sc);
  sc.threads = 0;
  cache::PatchSampler b(reader, {0, 1, 2}, sc);
  std::vector<std::vector<float>> seq;
  for (int i = 0; i < 12; ++i) {
    auto x = a.next(), y = b.next();
    ASSERT_EQ(x.image, y.image) << i;
    ASSERT_EQ(x.label, y.label) << i;
    seq.push_back(x.image);
  }
  b.seek(5);
  EXPECT_EQ(b.next().image, seq[5]);
  a.seek(10);
  EXPECT_EQ(a.next().image, seq[10]);
}

// Issue: predicting a FLAIR model through a 4-channel cache silently rewrote that cache as
// FLAIR-only. The channel set is part of a cache's identity: such a build is refused.
TEST(CacheBuild, ACacheIsNeverRewrittenUnderAnotherChannelSet) {
  CohortFixture f("ms_longitudinal", 2);
  const fs::path file = f.dir / "two.h5";
  build(f, f.config({"flair_prior", "flair"}), file);
  const std::string before = slurp(file);
  try {
    build(f, f.config({"flair"}), file);
    FAIL() << "a two-channel cache was rebuilt as FLAIR-only";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("cache '" + file.string() +
                                         "' holds other channels (flair_prior, flair) than this needs (flair)"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(slurp(file), before);
}

// nnU-Net's blur and low-resolution augmentations (lib/cache/Augment.h), each alone with probability 1.
namespace {
cache::AugmentConfig only(double blurProb, double lowResProb) {
  cache::AugmentConfig a;
  a.flipProb = a.rotateProb = a.scaleProb = a.intensityProb = a.contrastProb = a.gammaProb = a.noiseProb = 0;
  a.blurProb = blurProb;
  a.lowResProb = lowResProb;
  return a;
}
std::vector<float> whiteNoise(int64_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = static_cast<float>(rng.normal(0, 1));
  return v;
}
}  // namespace

TEST(Augment, GaussianBlurOfWhiteNoiseHasTheTextbookVariance) {
  // A normalised Gaussian kernel of sigma 1 voxel (truncated at 3 sigma) has sum of squared weights
  // 0.28228 per axis; separable in 3D, white noise of variance 1 keeps 0.28228^3 = 0.02249 of it (SD 0.150).
  const Size3 P{24, 24, 24};
  auto a = only(1, 0);
  a.blurMin = a.blurMax = 1.0;
  std::vector<float> x = whiteNoise(24 * 24 * 24, 5);
  std::vector<uint8_t> label(x.size(), 0);
  Rng rng(1);
  cache::augmentInPlace(rng, a, P, 1, x.data(), label.data());
  double sum = 0, sq = 0;
  int n = 0;
  for (int k = 4; k < 20; ++k)
    for (int j = 4; j < 20; ++j)
      for (int i = 4; i < 20; ++i) {
        const double v = x[(k * 24 + j) * 24 + i];
        sum += v;
        sq += v * v;
        ++n;
      }
  const double mean = sum / n, sd = std::sqrt(sq / n - mean * mean);
  EXPECT_NEAR(sd, 0.150, 0.015);
  EXPECT_NEAR(mean, 0.0, 0.03);
}

TEST(Augment, SimulatedLowResolutionKeepsConstantsAndRemovesFineDetail) {
  const Size3 P{24, 24, 24};
  auto a = only(0, 1);
  a.zoomMin = a.zoomMax = 0.5;
  std::vector<uint8_t> label(24 * 24 * 24, 0);
  std::vector<float> flat(label.size(), 3.25f);
  Rng r1(1);
  cache::augmentInPlace(r1, a, P, 1, flat.data(), label.data());
  for (float v : flat) ASSERT_FLOAT_EQ(v, 3.25f);
  // White noise at half resolution: output voxel i reads the low grid at c = (i + 0.5) / 2 - 0.5, linearly.
  // Away from the patch's faces (1 <= i, j, k <= 22), steps along x alternate between half a low step
  // (0.5 (b - a)) and a quarter of two (0.25 (c - a)): 11 and 10 of the 21, so the mean absolute difference
  // is 8/21 of 2 / sqrt(pi) = 1.128 (unit normals); the y and z blends (weights 0.25 and 0.75, variance
  // 0.25^2 + 0.75^2 = 0.625 each) scale the SD by sqrt(0.625)^2: 8/21 * 1.128 * 0.625 = 0.269.
  std::vector<float> x = whiteNoise(24 * 24 * 24, 6);
  auto roughness = [&](const std::vector<float>& v) {
    double d = 0;
    int n = 0;
    for (int k = 1; k <= 22; ++k)
      for (int j = 1; j <= 22; ++j)
        for (int i = 1; i <= 21; ++i, ++n) d += std::abs(v[(k * 24 + j) * 24 + i + 1] - v[(k * 24 + j) * 24 + i]);
    return d / n;
  };
  EXPECT_NEAR(roughness(x), 1.128, 0.03);
  Rng r2(1);
  cache::augmentInPlace(r2, a, P, 1, x.data(), label.data());
  EXPECT_NEAR(roughness(x), 8.0 / 21 * 1.128 * 0.625, 0.02);
}

TEST(Augment, ContrastScalesDeviationsFromThePatchMeanWithinItsRange) {
  // nnU-Net's contrast augmentation by definition: x' = clip((x - mean) * f + mean, min x, max x).
  // A patch of +-1 around 2 (mean 2): f = 0.5 gives +-0.5 around 2, nothing clipped; f = 1.5 would give
  // +-1.5, clipped back to the patch's own range [1, 3].
  const Size3 P{4, 4, 4};
  for (const double f : {0.5, 1.5}) {
    auto a = only(0, 0);
    a.contrastProb = 1;
    a.contrastMin = a.contrastMax = f;
    std::vector<float> x(64);
    for (size_t i = 0; i < x.size(); ++i) x[i] = (i % 2) ? 3.0f : 1.0f;
    std::vector<uint8_t> label(x.size(), 0);
    Rng rng(3);
    cache::augmentInPlace(rng, a, P, 1, x.data(), label.data());
    for (size_t i = 0; i < x.size(); ++i)
      EXPECT_FLOAT_EQ(x[i], f < 1 ? ((i % 2) ? 2.5f : 1.5f) : ((i % 2) ? 3.0f : 1.0f)) << "f " << f << " voxel " << i;
  }
}

TEST(Augment, BrightnessMultipliesAndShiftsByTheConfiguredRanges) {
  const Size3 P{4, 4, 4};
  auto a = only(0, 0);
  a.intensityProb = 1;
  a.intensityScaleMin = a.intensityScaleMax = 1.25;
  a.intensityShiftMin = a.intensityShiftMax = -0.25;
  std::vector<float> x(64, 2.0f);
  std::vector<uint8_t> label(x.size(), 0);
  Rng rng(3);
  cache::augmentInPlace(rng, a, P, 1, x.data(), label.data());
  for (float v : x) EXPECT_FLOAT_EQ(v, 2.25f);  // 2 * 1.25 - 0.25
}

TEST(Augment, BlurAndZoomRangesAreChecked) {
  cache::AugmentConfig a;
  a.blurMin = 2;
  a.blurMax = 1;
  a.zoomMin = 0;
  a.intensityScaleMin = 0;
  a.contrastMin = 1.5;
  a.contrastMax = 1.0;
  try {
    a.validate("train.augment.");
    FAIL() << "bad ranges accepted";
  } catch (const InputError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("train.augment.blur_sigma"), std::string::npos) << m;
    EXPECT_NE(m.find("train.augment.zoom_range"), std::string::npos) << m;
    EXPECT_NE(m.find("train.augment.intensity_scale"), std::string::npos) << m;
    EXPECT_NE(m.find("train.augment.contrast_range"), std::string::npos) << m;
  }
}
