// Stable 64-bit hashing (FNV-1a) for cache keys and run IDs. Stable across
// platforms and releases: never change the algorithm without bumping the
// cache format version.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace mst {

class Hasher {
 public:
  Hasher& bytes(const void* data, size_t n);
  Hasher& str(const std::string& s);  // length-prefixed, so ("ab","c") != ("a","bc")
  Hasher& u64(uint64_t v);
  Hasher& f64(double v);
  uint64_t value() const { return h_; }
  std::string hex() const;  // 16 lowercase hex digits

 private:
  uint64_t h_ = 14695981039346656037ULL;
};

std::string hex64(uint64_t v);
uint64_t hashString(const std::string& s);
// "fnv1a64:<16 hex digits>" of a file's bytes (checkpoints' weights_hash); throws InputError naming
// the file when it cannot be read.
std::string fileHash(const std::string& path);

}  // namespace mst
