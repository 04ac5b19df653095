// U-Net training steps and inference, and the best single-convolution
// throughput of the same LibTorch (the ceiling for GFLOP/s comparisons).
// Threads: MST_BENCH_THREADS (default: all cores), as bench/unet_vs_pytorch.py sets it.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <cstdlib>
#include <thread>

#include "lib/infer/SlidingWindow.h"
#include "lib/model/Precision.h"
#include "lib/model/UNet3d.h"

using namespace mst;

namespace {

void setThreads() {
  static const int n = [] {
    const char* e = std::getenv("MST_BENCH_THREADS");
    const int t = e ? std::atoi(e) : static_cast<int>(std::thread::hardware_concurrency());
    torch::set_num_threads(std::max(1, t));
    return t;
  }();
  (void)n;
}

// One training step (forward, BCE, backward, Adam) per iteration; `precision` as [train] precision,
// through the trainer's own AutocastScope.
void trainStep(benchmark::State& state, const std::string& precision) {
  setThreads();
  model::UNetOptions o;
  o.baseFilters = static_cast<int>(state.range(0));
  o.depth = static_cast<int>(state.range(1));
  const int p = static_cast<int>(state.range(2)), b = static_cast<int>(state.range(3));
  torch::manual_seed(0);
  model::UNet3d net(o);
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(1e-3));
  auto x = torch::randn({b, 1, p, p, p});
  auto y = (torch::rand({b, 1, p, p, p}) > 0.9).to(torch::kFloat32);
  for (auto _ : state) {
    opt.zero_grad();
    torch::Tensor out;
    {
      model::AutocastScope autocast(precision, torch::kCPU);
      out = net->forward(x);
    }
    auto loss = torch::binary_cross_entropy_with_logits(out.to(torch::kFloat32), y);
    loss.backward();
    opt.step();
  }
  // Forward + backward ~ 3x the forward FLOPs.
  const double flops = 3.0 * model::forwardFlops(o, b, p);
  state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["patches/s"] = benchmark::Counter(b, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_UNetTrainStep(benchmark::State& state) { trainStep(state, "fp32"); }
// The forward pass under autocast to bfloat16 (loss and optimiser in fp32).
void BM_UNetTrainStepBf16(benchmark::State& state) { trainStep(state, "bf16"); }

#define MST_TRAIN_STEP_ARGS                          \
  ArgNames({"base", "depth", "patch", "batch"})      \
      ->Args({8, 3, 32, 2})                          \
      ->Args({8, 3, 24, 2})                          \
      ->Args({16, 4, 64, 2})                         \
      ->Unit(benchmark::kMillisecond)                \
      ->UseRealTime()
BENCHMARK(BM_UNetTrainStep)->MST_TRAIN_STEP_ARGS;
BENCHMARK(BM_UNetTrainStepBf16)->MST_TRAIN_STEP_ARGS;

// Whole-volume sliding-window prediction of a cropped demo-scale study (72 x 88 x 72): window,
// overlap 0.5, Gaussian weighting; args: window, windows per forward pass, bf16 (0/1).
void BM_UNetInferVolume(benchmark::State& state) {
  setThreads();
  model::UNetOptions o;
  o.baseFilters = 8;
  o.depth = 3;
  torch::manual_seed(0);
  model::UNet3d net(o);
  const int64_t w = state.range(0);
  auto img = torch::randn({1, 72, 88, 72});
  infer::InferConfig cfg;
  cfg.overlap = 0.5;
  cfg.windowBatch = static_cast<int>(state.range(1));
  cfg.precision = state.range(2) ? "bf16" : "fp32";
  for (auto _ : state) {
    auto p = infer::predictProbabilities(net, img, {w, w, w}, cfg, torch::kCPU);
    benchmark::DoNotOptimize(p.data_ptr<float>());
  }
}
BENCHMARK(BM_UNetInferVolume)
    ->ArgNames({"window", "batch", "bf16"})
    ->Args({24, 2, 0})
    ->Args({32, 2, 0})
    ->Args({32, 4, 0})
    ->Args({32, 2, 1})
    ->Args({32, 4, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The best throughput one 3x3x3 convolution reaches in this LibTorch: a ceiling for the U-Net's GFLOP/s.
void BM_Conv3dForward(benchmark::State& state) {
  setThreads();
  const int64_t c = state.range(0), p = state.range(1);
  auto conv = torch::nn::Conv3d(torch::nn::Conv3dOptions(c, c, 3).padding(1));
  auto x = torch::randn({2, c, p, p, p});
  torch::NoGradGuard ng;
  for (auto _ : state) benchmark::DoNotOptimize(conv(x).data_ptr<float>());
  const double flops = 2.0 * 2 * p * p * p * 27.0 * c * c;
  state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Conv3dForward)->ArgNames({"channels", "patch"})->Args({8, 32})->Args({16, 32})->Args({32, 32})->Args({64, 16})
    ->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
