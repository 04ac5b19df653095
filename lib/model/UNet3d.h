// UNet3d: nnU-Net's plain 3D U-Net in LibTorch.
//
// Per level: two 3x3x3 convolutions, each followed by normalisation and
// LeakyReLU(0.01); the first convolution of every level below the top has
// stride 2 (downsampling). Decoder: 2x2x2 transposed convolution (or
// trilinear upsampling + 1x1x1 convolution), concatenation with the skip,
// two convolutions. A 1x1x1 head gives logits (apply a sigmoid for
// probabilities).
//
// Input [N, C, Z, Y, X] with Z, Y, X divisible by 2^(depth-1); output logits
// [N, outChannels, Z, Y, X]. With deep supervision, forwardAll() also returns
// lower-resolution logits of the decoder levels (coarsest last).
//
// Parameter names are the checkpoint format and stay stable:
//   encoder.<level>.conv1.weight/bias, encoder.<level>.norm1.weight/bias, ... conv2, norm2
//   decoder.<i>.up.weight/bias    (i = 0 is the coarsest decoder step)
//   decoder.<i>.block.conv1 ...
//   head.weight/bias, ds_heads.<i>.weight/bias
#pragma once

#include <torch/torch.h>

#include <vector>

#include "lib/config/ModelConfig.h"

namespace mst::model {

class ConvBlockImpl : public torch::nn::Module {
 public:
  ConvBlockImpl(int in, int out, int stride, const UNetOptions& o);
  torch::Tensor forward(torch::Tensor x);

 private:
  torch::nn::Conv3d conv1{nullptr}, conv2{nullptr};
  torch::nn::AnyModule norm1, norm2;
  torch::nn::Dropout3d drop{nullptr};
  torch::nn::LeakyReLU act{nullptr};
};
TORCH_MODULE(ConvBlock);

class UpStepImpl : public torch::nn::Module {
 public:
  UpStepImpl(int in, int out, const UNetOptions& o);
  torch::Tensor forward(torch::Tensor x, torch::Tensor skip);

 private:
  torch::nn::ConvTranspose3d upT{nullptr};
  torch::nn::Conv3d upConv{nullptr};
  ConvBlock block{nullptr};
  bool trilinear_;
};
TORCH_MODULE(UpStep);

class UNet3dImpl : public torch::nn::Module {
 public:
  explicit UNet3dImpl(const UNetOptions& options);
  torch::Tensor forward(torch::Tensor x);               // full-resolution logits
  std::vector<torch::Tensor> forwardAll(torch::Tensor x);  // [full, coarser...] (deep supervision)
  const UNetOptions& options() const { return options_; }

 private:
  UNetOptions options_;
  torch::nn::ModuleList encoder{nullptr}, decoder{nullptr}, dsHeads{nullptr};
  torch::nn::Conv3d head{nullptr};
};
TORCH_MODULE(UNet3d);

// ConvTranspose3d(kernel 2, stride 2) with `weight` [in, out, 2, 2, 2] and `bias` [out], computed
// as a 1x1x1 convolution and a voxel shuffle (fast in bf16 on oneDNN; see UNet3d.cpp).
torch::Tensor upsampleTransposed(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias);

// Multiply-accumulate count of one forward pass for a cubic patch (for GFLOP/s reports).
double forwardFlops(const UNetOptions& o, int batch, int patch);

}  // namespace mst::model
