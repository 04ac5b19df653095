// cpuid against the kernel's view: the flags in /proc/cpuinfo (Linux lists a
// feature only when the CPU has it and the kernel enabled its state).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "lib/core/CpuFeatures.h"

using namespace mst;

TEST(CpuFeatures, AgreeWithProcCpuinfo) {
  std::ifstream f("/proc/cpuinfo");
  std::string line, flags;
  while (std::getline(f, line))
    if (line.rfind("flags", 0) == 0) {
      flags = " " + line.substr(line.find(':') + 1) + " ";
      break;
    }
  if (flags.empty()) GTEST_SKIP() << "no /proc/cpuinfo flags (not Linux on x86)";
  auto has = [&](const std::string& name) { return flags.find(" " + name + " ") != std::string::npos; };
  const CpuFeatures& c = cpuFeatures();
  EXPECT_EQ(c.avx512f, has("avx512f")) << flags;
  EXPECT_EQ(c.avx512bf16, has("avx512_bf16")) << flags;
  EXPECT_EQ(c.amxbf16, has("amx_bf16")) << flags;
  EXPECT_EQ(c.bf16(), (has("avx512f") && has("avx512_bf16")) || has("amx_bf16"));
}
