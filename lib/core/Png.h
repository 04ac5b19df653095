// Minimal PNG writer (8-bit RGB, zlib), used for previews and figures made by
// the binary. Writes atomically.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

namespace mst {

struct RgbImage {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;  // row-major, top row first, 3 bytes per pixel
  RgbImage() = default;
  RgbImage(int w, int h) : width(w), height(h), rgb(static_cast<size_t>(w) * h * 3, 0) {}
  void set(int x, int y, uint8_t r, uint8_t g, uint8_t b) {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    size_t o = (static_cast<size_t>(y) * width + x) * 3;
    rgb[o] = r; rgb[o + 1] = g; rgb[o + 2] = b;
  }
};

void writePng(const std::filesystem::path& path, const RgbImage& image);

}  // namespace mst
