// Lesion labelling and lesion-wise metrics of a 1 mm brain volume.
//
// By default the masks are built in code (182 x 218 x 182, 60 ellipsoidal
// lesions, prediction = truth shifted by one voxel plus 20 false positives).
// bench/metrics_vs_scipy.py sets MST_BENCH_TRUTH / MST_BENCH_PRED to NIfTI
// files so that SciPy and this code time the very same masks.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <random>

#include "lib/io/Nifti.h"
#include "lib/metrics/Components.h"
#include "lib/metrics/LesionMetrics.h"

using namespace mst;

namespace {

struct Masks {
  MaskVolume truth, pred;
};

void ellipsoid(MaskVolume& m, double cx, double cy, double cz, double rx, double ry, double rz) {
  for (int64_t z = std::max<int64_t>(0, cz - rz - 1); z <= std::min<int64_t>(m.nz() - 1, cz + rz + 1); ++z)
    for (int64_t y = std::max<int64_t>(0, cy - ry - 1); y <= std::min<int64_t>(m.ny() - 1, cy + ry + 1); ++y)
      for (int64_t x = std::max<int64_t>(0, cx - rx - 1); x <= std::min<int64_t>(m.nx() - 1, cx + rx + 1); ++x) {
        const double u = (x - cx) / rx, v = (y - cy) / ry, w = (z - cz) / rz;
        if (u * u + v * v + w * w <= 1) m.at(x, y, z) = 1;
      }
}

const Masks& masks() {
  static const Masks kMasks = [] {
    Masks ms;
    const char* t = std::getenv("MST_BENCH_TRUTH");
    const char* p = std::getenv("MST_BENCH_PRED");
    if (t && p) {
      ms.truth = io::readMask(t);
      ms.pred = io::readMask(p);
      return ms;
    }
    Geometry g;
    g.size = {182, 218, 182};
    ms.truth = MaskVolume(g, 0);
    ms.pred = MaskVolume(g, 0);
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> cx(30, 150), cy(30, 190), cz(30, 150), r(1.5, 6);
    for (int i = 0; i < 60; ++i) {
      double x = cx(rng), y = cy(rng), z = cz(rng), a = r(rng), b = r(rng), c = r(rng);
      ellipsoid(ms.truth, x, y, z, a, b, c);
      if (i % 4) ellipsoid(ms.pred, x + 1, y, z, a, b, c);
    }
    for (int i = 0; i < 20; ++i) ellipsoid(ms.pred, cx(rng), cy(rng), cz(rng), 2, 2, 2);
    return ms;
  }();
  return kMasks;
}

void BM_LabelComponents(benchmark::State& state) {
  const auto& m = masks().truth;
  const int conn = static_cast<int>(state.range(0));
  int32_t n = 0;
  for (auto _ : state) {
    auto c = metrics::labelComponents(m, conn);
    n = c.count();
    benchmark::DoNotOptimize(c.labels.data());
  }
  state.counters["lesions"] = n;
  state.counters["voxels/s"] = benchmark::Counter(static_cast<double>(m.geom.numVoxels()), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_LabelComponents)->ArgName("connectivity")->Arg(6)->Arg(26)->Unit(benchmark::kMillisecond);

void BM_EvaluateStudy(benchmark::State& state) {
  const auto& m = masks();
  metrics::LesionOptions o;
  o.setCriterion(state.range(0) == 0 ? "any" : "anima");
  for (auto _ : state) {
    auto r = metrics::evaluate(m.pred, m.truth, o);
    benchmark::DoNotOptimize(r.nTruth);
  }
}
BENCHMARK(BM_EvaluateStudy)->ArgName("anima")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace
