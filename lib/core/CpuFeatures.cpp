#include "lib/core/CpuFeatures.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace mst {

namespace {

CpuFeatures detect() {
  CpuFeatures f;
#if defined(__x86_64__) || defined(__i386__)
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
  const bool osxsave = (c >> 27) & 1;
  unsigned long long xcr0 = 0;
  if (osxsave) {
    unsigned lo = 0, hi = 0;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    xcr0 = (static_cast<unsigned long long>(hi) << 32) | lo;
  }
  const bool osAvx512 = (xcr0 & 0xe6) == 0xe6;          // SSE, AVX, opmask, ZMM state
  const bool osAmx = (xcr0 & (3ULL << 17)) == (3ULL << 17);  // XTILECFG, XTILEDATA
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return f;
  f.avx512f = osAvx512 && ((b >> 16) & 1);
  f.amxbf16 = osAmx && ((d >> 22) & 1);
  const unsigned maxSub = a;
  if (maxSub >= 1 && __get_cpuid_count(7, 1, &a, &b, &c, &d)) f.avx512bf16 = osAvx512 && ((a >> 5) & 1);
#endif
  return f;
}

}  // namespace

std::string CpuFeatures::describe() const {
  std::string s;
  if (avx512f) s += "avx512f ";
  if (avx512bf16) s += "avx512_bf16 ";
  if (amxbf16) s += "amx_bf16 ";
  return s.empty() ? "none" : s.substr(0, s.size() - 1);
}

const CpuFeatures& cpuFeatures() {
  static const CpuFeatures f = detect();
  return f;
}

}  // namespace mst
