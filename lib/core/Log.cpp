#include "lib/core/Log.h"

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <mutex>

namespace mst::log {
namespace {
Level initialLevel() {
  const char* env = std::getenv("MST_LOG");
  if (!env) return Level::kInfo;
  if (!std::strcmp(env, "debug")) return Level::kDebug;
  if (!std::strcmp(env, "warn")) return Level::kWarn;
  if (!std::strcmp(env, "error")) return Level::kError;
  return Level::kInfo;
}
Level gLevel = initialLevel();
std::mutex gMutex;
}  // namespace

void setLevel(Level l) { gLevel = l; }
Level level() { return gLevel; }

void write(Level l, const std::string& message) {
  static const char* kPrefix[] = {"debug: ", "", "warning: ", "error: "};
  std::lock_guard<std::mutex> lock(gMutex);
  std::cerr << kPrefix[static_cast<int>(l)] << message << '\n';
}

}  // namespace mst::log
