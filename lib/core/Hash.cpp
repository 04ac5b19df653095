#include "lib/core/Hash.h"

#include <cstring>
#include <fstream>
#include <iterator>

#include "lib/core/Error.h"

namespace mst {

Hasher& Hasher::bytes(const void* data, size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) {
    h_ ^= p[i];
    h_ *= 1099511628211ULL;
  }
  return *this;
}

Hasher& Hasher::str(const std::string& s) {
  u64(s.size());
  return bytes(s.data(), s.size());
}

Hasher& Hasher::u64(uint64_t v) {
  unsigned char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<unsigned char>(v >> (8 * i));
  return bytes(b, 8);
}

Hasher& Hasher::f64(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, 8);
  return u64(bits);
}

std::string hex64(uint64_t v) {
  static const char* kDigits = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) s[i] = kDigits[v & 15];
  return s;
}

std::string Hasher::hex() const { return hex64(h_); }

uint64_t hashString(const std::string& s) { return Hasher().str(s).value(); }

std::string fileHash(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw InputError("'" + path + "': cannot read the file to hash it");
  const std::string bytes((std::istreambuf_iterator<char>(f)), {});
  return "fnv1a64:" + Hasher().bytes(bytes.data(), bytes.size()).hex();
}

}  // namespace mst
