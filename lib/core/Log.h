// Minimal leveled logging to stderr.
//
// Level from the environment variable MST_LOG (debug|info|warn|error, default
// info) or setLogLevel(). Messages are whole lines; a mutex keeps lines of
// concurrent threads apart.
#pragma once

#include <sstream>
#include <string>

namespace mst::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

void setLevel(Level level);
Level level();
void write(Level level, const std::string& message);

template <class... Args>
std::string cat(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}

template <class... Args>
void debug(const Args&... args) { if (level() <= Level::kDebug) write(Level::kDebug, cat(args...)); }
template <class... Args>
void info(const Args&... args) { if (level() <= Level::kInfo) write(Level::kInfo, cat(args...)); }
template <class... Args>
void warn(const Args&... args) { if (level() <= Level::kWarn) write(Level::kWarn, cat(args...)); }
template <class... Args>
void error(const Args&... args) { write(Level::kError, cat(args...)); }

// "1 study", "3 studies": a count and its noun, singular or plural.
inline std::string count(long long n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}
inline std::string studies(long long n) { return count(n, "study", "studies"); }

}  // namespace mst::log
