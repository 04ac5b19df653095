#include "lib/core/Png.h"

#include <zlib.h>

#include <fstream>
#include <string>

#include "lib/core/Error.h"
#include "lib/core/Fs.h"

namespace mst {

namespace {
void put32(std::string& s, uint32_t v) {
  for (int i = 3; i >= 0; --i) s += static_cast<char>((v >> (8 * i)) & 0xff);
}
void chunk(std::string& out, const char* type, const std::string& data) {
  put32(out, static_cast<uint32_t>(data.size()));
  std::string td = std::string(type, 4) + data;
  out += td;
  put32(out, static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(td.data()), td.size())));
}
}  // namespace

void writePng(const std::filesystem::path& path, const RgbImage& img) {
  std::string raw;
  raw.reserve(static_cast<size_t>(img.height) * (img.width * 3 + 1));
  for (int y = 0; y < img.height; ++y) {
    raw += '\0';  // filter: none
    raw.append(reinterpret_cast<const char*>(img.rgb.data()) + static_cast<size_t>(y) * img.width * 3,
               static_cast<size_t>(img.width) * 3);
  }
  uLongf zlen = compressBound(raw.size());
  std::string z(zlen, '\0');
  if (compress2(reinterpret_cast<Bytef*>(&z[0]), &zlen, reinterpret_cast<const Bytef*>(raw.data()), raw.size(), 6) !=
      Z_OK)
    throw Error("PNG compression failed for '" + path.string() + "'");
  z.resize(zlen);
  std::string out = "\x89PNG\r\n\x1a\n";
  std::string ihdr;
  put32(ihdr, static_cast<uint32_t>(img.width));
  put32(ihdr, static_cast<uint32_t>(img.height));
  ihdr += std::string("\x08\x02\x00\x00\x00", 5);  // 8-bit, RGB, deflate, no filter, no interlace
  chunk(out, "IHDR", ihdr);
  chunk(out, "IDAT", z);
  chunk(out, "IEND", "");
  writeTextAtomic(path, out);
}

}  // namespace mst
