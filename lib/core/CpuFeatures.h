// CPU features that decide the default numeric precision (cpuid; no torch).
#pragma once

#include <string>

namespace mst {

struct CpuFeatures {
  bool avx512f = false;      // with the OS saving AVX-512 state
  bool avx512bf16 = false;   // AVX512_BF16 (bfloat16 dot products)
  bool amxbf16 = false;      // AMX-BF16 tiles
  bool bf16() const { return (avx512f && avx512bf16) || amxbf16; }
  std::string describe() const;  // "avx512f avx512_bf16" or "none"
};

const CpuFeatures& cpuFeatures();

}  // namespace mst
