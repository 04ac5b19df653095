#include "lib/model/UNet3d.h"

namespace mst::model {

namespace {
torch::nn::AnyModule makeNorm(const std::string& kind, int channels) {
  if (kind == "batch") return torch::nn::AnyModule(torch::nn::BatchNorm3d(torch::nn::BatchNorm3dOptions(channels)));
  if (kind == "group")
    return torch::nn::AnyModule(torch::nn::GroupNorm(torch::nn::GroupNormOptions(8, channels).affine(true)));
  return torch::nn::AnyModule(
      torch::nn::InstanceNorm3d(torch::nn::InstanceNorm3dOptions(channels).affine(true).track_running_stats(false)));
}
}  // namespace

ConvBlockImpl::ConvBlockImpl(int in, int out, int stride, const UNetOptions& o) {
  conv1 = register_module("conv1", torch::nn::Conv3d(torch::nn::Conv3dOptions(in, out, 3).stride(stride).padding(1)));
  norm1 = makeNorm(o.norm, out);
  register_module("norm1", norm1.ptr());
  conv2 = register_module("conv2", torch::nn::Conv3d(torch::nn::Conv3dOptions(out, out, 3).padding(1)));
  norm2 = makeNorm(o.norm, out);
  register_module("norm2", norm2.ptr());
  act = register_module("act", torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.01).inplace(true)));
  if (o.dropout > 0) drop = register_module("drop", torch::nn::Dropout3d(o.dropout));
}

torch::Tensor ConvBlockImpl::forward(torch::Tensor x) {
  x = act(norm1.forward(conv1(x)));
  if (drop) x = drop(x);
  return act(norm2.forward(conv2(x)));
}

// A 2x2x2 stride-2 transposed convolution computed as a 1x1x1 convolution to 8 * out channels
// followed by a voxel shuffle: the same parameters and the same sums, but through the convolution
// kernels oneDNN runs fast in bf16 and fp32. Debian's LibTorch 1.13 sends a bf16 ConvTranspose3d
// (forward and backward) to its slow im2col path: this form makes the bf16 train step of the
// demo network about 25 % and of the base-16 depth-4 64^3 network about 35-45 % faster
// (docs/BENCHMARKS.md). Output equals ConvTranspose3d up to float rounding.
torch::Tensor upsampleTransposed(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) {
  const int64_t cin = weight.size(0), cout = weight.size(1);
  // weight [in, out, a, b, c] -> [out * 8, in, 1, 1, 1], output channel o * 8 + a * 4 + b * 2 + c.
  const torch::Tensor w = weight.permute({1, 2, 3, 4, 0}).reshape({cout * 8, cin, 1, 1, 1});
  torch::Tensor y = torch::conv3d(x, w, bias.repeat_interleave(8));
  const int64_t n = y.size(0), d = y.size(2), h = y.size(3), wd = y.size(4);
  // [n, out, a, b, c, d, h, w] -> [n, out, d, a, h, b, w, c] -> [n, out, 2d, 2h, 2w]
  return y.reshape({n, cout, 2, 2, 2, d, h, wd}).permute({0, 1, 5, 2, 6, 3, 7, 4}).reshape({n, cout, 2 * d, 2 * h, 2 * wd});
}

UpStepImpl::UpStepImpl(int in, int out, const UNetOptions& o) : trilinear_(o.upsampling == "trilinear") {
  if (trilinear_) upConv = register_module("up", torch::nn::Conv3d(torch::nn::Conv3dOptions(in, out, 1)));
  else upT = register_module("up", torch::nn::ConvTranspose3d(torch::nn::ConvTranspose3dOptions(in, out, 2).stride(2)));
  block = register_module("block", ConvBlock(2 * out, out, 1, o));
}

torch::Tensor UpStepImpl::forward(torch::Tensor x, torch::Tensor skip) {
  if (trilinear_) {
    x = torch::nn::functional::interpolate(
        x, torch::nn::functional::InterpolateFuncOptions()
               .size(std::vector<int64_t>{skip.size(2), skip.size(3), skip.size(4)})
               .mode(torch::kTrilinear)
               .align_corners(false));
    x = upConv(x);
  } else {
    x = upsampleTransposed(x, upT->weight, upT->bias);
  }
  return block(torch::cat({x, skip}, 1));
}

UNet3dImpl::UNet3dImpl(const UNetOptions& o) : options_(o) {
  o.validate("model: ");
  encoder = register_module("encoder", torch::nn::ModuleList());
  decoder = register_module("decoder", torch::nn::ModuleList());
  int prev = o.inChannels;
  for (int l = 0; l < o.depth; ++l) {
    encoder->push_back(ConvBlock(prev, o.filtersAt(l), l == 0 ? 1 : 2, o));
    prev = o.filtersAt(l);
  }
  for (int l = o.depth - 2; l >= 0; --l) decoder->push_back(UpStep(o.filtersAt(l + 1), o.filtersAt(l), o));
  head = register_module("head", torch::nn::Conv3d(torch::nn::Conv3dOptions(o.filtersAt(0), o.outChannels, 1)));
  if (o.deepSupervision) {
    dsHeads = register_module("ds_heads", torch::nn::ModuleList());
    // One head per decoder output below full resolution (decoder steps 0..depth-3).
    for (int l = o.depth - 2; l >= 1; --l)
      dsHeads->push_back(torch::nn::Conv3d(torch::nn::Conv3dOptions(o.filtersAt(l), o.outChannels, 1)));
  }
}

std::vector<torch::Tensor> UNet3dImpl::forwardAll(torch::Tensor x) {
  std::vector<torch::Tensor> skips;
  for (size_t l = 0; l < encoder->size(); ++l) {
    x = encoder[l]->as<ConvBlock>()->forward(x);
    skips.push_back(x);
  }
  std::vector<torch::Tensor> coarse;
  for (size_t i = 0; i < decoder->size(); ++i) {
    x = decoder[i]->as<UpStep>()->forward(x, skips[skips.size() - 2 - i]);
    if (options_.deepSupervision && i + 1 < decoder->size()) coarse.push_back(dsHeads[i]->as<torch::nn::Conv3d>()->forward(x));
  }
  std::vector<torch::Tensor> out{head(x)};
  for (auto it = coarse.rbegin(); it != coarse.rend(); ++it) out.push_back(*it);  // finest first
  return out;
}

torch::Tensor UNet3dImpl::forward(torch::Tensor x) {
  if (!options_.deepSupervision) {
    std::vector<torch::Tensor> skips;
    for (size_t l = 0; l < encoder->size(); ++l) {
      x = encoder[l]->as<ConvBlock>()->forward(x);
      skips.push_back(x);
    }
    for (size_t i = 0; i < decoder->size(); ++i) x = decoder[i]->as<UpStep>()->forward(x, skips[skips.size() - 2 - i]);
    return head(x);
  }
  return forwardAll(x).front();
}

double forwardFlops(const UNetOptions& o, int batch, int patch) {
  // 2 FLOPs per multiply-accumulate; convolutions only (norms and activations are minor).
  double flops = 0;
  double vox = static_cast<double>(patch) * patch * patch;
  int prev = o.inChannels;
  std::vector<double> levelVox;
  for (int l = 0; l < o.depth; ++l) {
    if (l > 0) vox /= 8;
    levelVox.push_back(vox);
    const int f = o.filtersAt(l);
    flops += 2.0 * vox * 27 * prev * f + 2.0 * vox * 27 * f * f;
    prev = f;
  }
  for (int l = o.depth - 2; l >= 0; --l) {
    const int f = o.filtersAt(l), fin = o.filtersAt(l + 1);
    const double v = levelVox[l];
    flops += o.upsampling == "transposed" ? 2.0 * v * fin * f : 2.0 * v * fin * f;  // 2x2x2 stride 2: 8 taps over v/8 inputs
    flops += 2.0 * v * 27 * 2 * f * f + 2.0 * v * 27 * f * f;
  }
  flops += 2.0 * levelVox[0] * o.filtersAt(0) * o.outChannels;
  return flops * batch;
}

}  // namespace mst::model
