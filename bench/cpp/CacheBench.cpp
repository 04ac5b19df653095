// Patch reads from the HDF5 cache, sampler supply, and preprocessing of a
// 1 mm study.
//
// The cache is built on first use from one synthetic 1 mm study
// (160 x 192 x 160, the paper preset grid) under $TMPDIR, or taken from
// MST_BENCH_CACHE (bench/cache_vs_h5py.py sets it so that h5py reads the
// same file).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <random>

#include "lib/cache/Cache.h"
#include "lib/cache/Sampler.h"
#include "lib/io/Manifest.h"
#include "lib/preprocess/Preprocess.h"
#include "lib/synth/Synth.h"

using namespace mst;
namespace fs = std::filesystem;

namespace {

fs::path benchDir() {
  const fs::path d = fs::temp_directory_path() / "mstransfer-bench";
  fs::create_directories(d);
  return d;
}

fs::path benchManifest() {
  synth::CohortOptions o;
  o.cohort = "ms_longitudinal";
  o.count = 2;
  o.seed = 1;
  o.shape = {160, 192, 160};
  o.spacingMm = 1.0;
  o.threads = 2;
  return synth::generateCohort(o, benchDir(), false);
}

const fs::path& cacheFile() {
  static const fs::path file = [] {
    if (const char* env = std::getenv("MST_BENCH_CACHE")) return fs::path(env);
    preprocess::PreprocessConfig c;
    c.channels = {"flair_prior", "flair"};
    if (const char* chunk = std::getenv("MST_BENCH_CHUNK")) c.chunk = {std::atoi(chunk), std::atoi(chunk), std::atoi(chunk)};
    const fs::path f = benchDir() / ("bench_cache_" + std::to_string(c.chunk[0]) + ".h5");
    cache::BuildOptions bo;
    bo.progress = false;
    bo.threads = 2;
    cache::buildCache(io::readManifest(benchManifest()), c, f, bo);
    return f;
  }();
  return file;
}

void BM_PatchRead(benchmark::State& state) {
  const int64_t p = state.range(0);
  // A fresh reader per run so the chunk cache starts cold; sized like h5py's in the side-by-side script.
  cache::CacheReader reader(cacheFile(), static_cast<size_t>(state.range(1)) << 20);
  const auto& m = reader.studies()[0];
  std::mt19937_64 rng(1);
  std::vector<float> buf(static_cast<size_t>(m.channels * p * p * p));
  int64_t patches = 0;
  for (auto _ : state) {
    std::array<int64_t, 3> start;
    for (int a = 0; a < 3; ++a) start[a] = static_cast<int64_t>(rng() % static_cast<uint64_t>(std::max<int64_t>(1, m.size[a] - p)));
    reader.readRegion(0, start, {p, p, p}, buf.data(), nullptr, nullptr);
    benchmark::DoNotOptimize(buf.data());
    ++patches;
  }
  state.counters["patches/s"] = benchmark::Counter(static_cast<double>(patches), benchmark::Counter::kIsRate);
  state.SetBytesProcessed(patches * static_cast<int64_t>(buf.size() * sizeof(float)));
}
BENCHMARK(BM_PatchRead)
    ->ArgNames({"patch", "cache_mb"})
    ->Args({32, 64})
    ->Args({64, 64})
    ->Args({96, 64})
    ->Args({32, 1})
    ->Args({32, 0})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_SamplerSupply(benchmark::State& state) {
  auto reader = std::make_shared<cache::CacheReader>(cacheFile());
  cache::SamplerConfig sc;
  const int64_t p = state.range(0);
  sc.patch = {p, p, p};
  sc.batchSize = 2;
  sc.threads = static_cast<int>(state.range(1));
  sc.prefetch = 8;
  std::vector<int> studies;
  for (size_t i = 0; i < reader->studies().size(); ++i) studies.push_back(static_cast<int>(i));
  cache::PatchSampler sampler(reader, studies, sc);
  int64_t patches = 0;
  for (auto _ : state) {
    auto b = sampler.next();
    benchmark::DoNotOptimize(b.image.data());
    patches += b.n;
  }
  state.counters["patches/s"] = benchmark::Counter(static_cast<double>(patches), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SamplerSupply)->ArgNames({"patch", "threads"})->Args({32, 0})->Args({32, 2})->Args({64, 2})
    ->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_PreprocessStudy1mm(benchmark::State& state) {
  auto m = io::readManifest(benchManifest());
  preprocess::PreprocessConfig c;
  c.channels = {"flair"};
  if (state.range(0)) c.targetSpacingMm = {1.5, 1.5, 1.5};
  for (auto _ : state) {
    auto st = preprocess::preprocessStudy(m.rows[0], c);
    benchmark::DoNotOptimize(st.channels[0].data.data());
  }
}
BENCHMARK(BM_PreprocessStudy1mm)->ArgName("resample_1p5mm")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
