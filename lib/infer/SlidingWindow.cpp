#include "lib/infer/SlidingWindow.h"

#include <cmath>
#include <cstring>

#include "lib/core/Error.h"
#include "lib/model/Precision.h"

namespace mst::infer {


torch::Tensor gaussianMap(const Size3& w) {
  // Separable Gaussian centred in the window, sigma = size / 8 (nnU-Net).
  auto axis = [](int64_t n) {
    auto t = torch::arange(n, torch::kFloat32) - (n - 1) / 2.0;
    const double sigma = n / 8.0;
    return torch::exp(-(t * t) / (2 * sigma * sigma));
  };
  auto g = axis(w[2]).view({-1, 1, 1}) * axis(w[1]).view({1, -1, 1}) * axis(w[0]).view({1, 1, -1});
  g = g / g.max();
  return torch::clamp_min(g, 1e-3);
}

namespace {
std::vector<int64_t> starts(int64_t size, int64_t window, double overlap) {
  if (size <= window) return {0};
  const int64_t step = std::max<int64_t>(1, static_cast<int64_t>(std::round(window * (1.0 - overlap))));
  std::vector<int64_t> s;
  for (int64_t p = 0; p + window < size; p += step) s.push_back(p);
  s.push_back(size - window);
  return s;
}
}  // namespace

torch::Tensor predictProbabilities(model::UNet3d& net, const torch::Tensor& image, const Size3& window,
                                   const InferConfig& cfg, const torch::Device& device) {
  torch::NoGradGuard ng;
  const bool wasTraining = net->is_training();
  net->eval();
  const int64_t C = image.size(0), Z = image.size(1), Y = image.size(2), X = image.size(3);
  // Pad up to the window where the volume is smaller.
  const int64_t pz = std::max<int64_t>(0, window[2] - Z), py = std::max<int64_t>(0, window[1] - Y),
                px = std::max<int64_t>(0, window[0] - X);
  torch::Tensor img = image;
  if (pz || py || px)
    img = torch::constant_pad_nd(image, {0, px, 0, py, 0, pz}, 0.0);
  const int64_t Zp = img.size(1), Yp = img.size(2), Xp = img.size(3);
  torch::Tensor acc = torch::zeros({Zp, Yp, Xp}, torch::kFloat32);
  torch::Tensor norm = torch::zeros({Zp, Yp, Xp}, torch::kFloat32);
  const torch::Tensor weight = cfg.gaussian ? gaussianMap(window) : torch::ones({window[2], window[1], window[0]});
  std::vector<std::array<int64_t, 3>> pos;
  for (int64_t z : starts(Zp, window[2], cfg.overlap))
    for (int64_t y : starts(Yp, window[1], cfg.overlap))
      for (int64_t x : starts(Xp, window[0], cfg.overlap)) pos.push_back({z, y, x});
  // Flip sets for mirroring: every subset of the mirror axes (tensor dims: x -> 4, y -> 3, z -> 2).
  std::vector<std::vector<int64_t>> flips{{}};
  if (cfg.mirror)
    for (int a : cfg.mirrorAxes) {
      const int64_t dim = 4 - a;
      const size_t n = flips.size();
      for (size_t i = 0; i < n; ++i) {
        auto f = flips[i];
        f.push_back(dim);
        flips.push_back(f);
      }
    }
  for (size_t b = 0; b < pos.size(); b += static_cast<size_t>(cfg.windowBatch)) {
    const size_t e = std::min(pos.size(), b + static_cast<size_t>(cfg.windowBatch));
    std::vector<torch::Tensor> tiles;
    for (size_t i = b; i < e; ++i)
      tiles.push_back(img.slice(1, pos[i][0], pos[i][0] + window[2])
                          .slice(2, pos[i][1], pos[i][1] + window[1])
                          .slice(3, pos[i][2], pos[i][2] + window[0]));
    torch::Tensor batch = torch::stack(tiles).to(device);
    torch::Tensor prob = torch::zeros({batch.size(0), window[2], window[1], window[0]}, batch.options());
    for (const auto& f : flips) {
      torch::Tensor in = f.empty() ? batch : torch::flip(batch, f);
      torch::Tensor logits;
      {
        model::AutocastScope autocast(cfg.precision, device);  // "bf16": the forward pass in bfloat16
        logits = net->forward(in);
      }
      torch::Tensor out = torch::sigmoid(logits.to(torch::kFloat32)).select(1, 0);
      if (!f.empty()) {
        std::vector<int64_t> f3;
        for (auto d : f) f3.push_back(d - 1);  // output has no channel dim after select
        out = torch::flip(out, f3);
      }
      prob += out;
    }
    prob = (prob / static_cast<double>(flips.size())).to(torch::kCPU);
    for (size_t i = b; i < e; ++i) {
      auto sl = [&](torch::Tensor t) {
        return t.slice(0, pos[i][0], pos[i][0] + window[2])
            .slice(1, pos[i][1], pos[i][1] + window[1])
            .slice(2, pos[i][2], pos[i][2] + window[0]);
      };
      sl(acc) += prob[static_cast<int64_t>(i - b)] * weight;
      sl(norm) += weight;
    }
  }
  if (wasTraining) net->train();
  torch::Tensor out = acc / norm;
  (void)C;
  return out.slice(0, 0, Z).slice(1, 0, Y).slice(2, 0, X).contiguous();
}

FloatVolume predictCachedStudy(model::UNet3d& net, const cache::CacheReader& cache, int study, const Size3& window,
                               const InferConfig& config, const torch::Device& device) {
  const auto& m = cache.studies()[static_cast<size_t>(study)];
  auto chans = cache.readImage(study);
  std::vector<torch::Tensor> ts;
  for (auto& c : chans) ts.push_back(torch::from_blob(c.data.data(), {m.size[2], m.size[1], m.size[0]}, torch::kFloat32));
  torch::Tensor prob = predictProbabilities(net, torch::stack(ts), window, config, device);  // stack copies
  FloatVolume out(m.mapping.final);
  std::memcpy(out.data.data(), prob.data_ptr<float>(), out.data.size() * sizeof(float));
  const MaskVolume brain = cache.readBrainmask(study);
  for (size_t i = 0; i < out.data.size(); ++i)
    if (!brain.data[i]) out.data[i] = 0.0f;
  return out;
}

}  // namespace mst::infer
