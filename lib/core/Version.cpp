#include "lib/core/Version.h"

#include <array>
#include <cstdio>
#include <memory>

#ifndef MST_VERSION
#define MST_VERSION "0.0.0"
#endif
#ifndef MST_SOURCE_DIR
#define MST_SOURCE_DIR "."
#endif
#ifndef MST_LIBRARY_VERSIONS
#define MST_LIBRARY_VERSIONS "unknown"
#endif
#ifndef MST_CONFIGURE_COMMIT
#define MST_CONFIGURE_COMMIT "unknown"
#endif

namespace mst {

std::string version() { return MST_VERSION; }

namespace {
std::string runCommand(const std::string& cmd) {
  std::array<char, 256> buf{};
  std::string out;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(cmd.c_str(), "r"), ::pclose);
  if (!pipe) return "";
  while (std::fgets(buf.data(), buf.size(), pipe.get())) out += buf.data();
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}
}  // namespace

std::string gitCommit() {
  // Asked at run time so that results carry the commit actually checked out,
  // not the one at configure time (which is the fallback outside a checkout).
  static const std::string commit = [] {
    const std::string dir = MST_SOURCE_DIR;
    std::string sha = runCommand("git -C '" + dir + "' rev-parse HEAD 2>/dev/null");
    if (sha.empty()) return std::string(MST_CONFIGURE_COMMIT);
    std::string dirty = runCommand("git -C '" + dir + "' status --porcelain --untracked-files=no 2>/dev/null");
    return dirty.empty() ? sha : sha + "-dirty";
  }();
  return commit;
}

std::string libraryVersions() { return MST_LIBRARY_VERSIONS; }

std::string compilerVersion() {
#if defined(__clang__)
  return "clang " __clang_version__;
#elif defined(__GNUC__)
  return "gcc " __VERSION__;
#else
  return "unknown";
#endif
}

}  // namespace mst
