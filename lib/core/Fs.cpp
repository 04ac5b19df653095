#include "lib/core/Fs.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>

#include "lib/core/Error.h"

namespace mst {

namespace {
std::atomic<int> gTempCounter{0};
}

AtomicOutput::AtomicOutput(fs::path finalPath) : final_(std::move(finalPath)) {
  if (final_.has_parent_path()) fs::create_directories(final_.parent_path());
  // Prefix rather than suffix: the extension (.nii.gz, .h5) still tells
  // writers the format, and the hidden name never looks like a result.
  temp_ = final_.parent_path() / (".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(gTempCounter++) + "-" +
                                  final_.filename().string());
}

AtomicOutput::~AtomicOutput() {
  if (!committed_) {
    std::error_code ec;
    fs::remove(temp_, ec);
  }
}

void AtomicOutput::commit() {
  std::error_code ec;
  fs::rename(temp_, final_, ec);
  if (ec) throw Error("cannot rename '" + temp_.string() + "' to '" + final_.string() + "': " + ec.message());
  committed_ = true;
}

void writeTextAtomic(const fs::path& path, const std::string& text) {
  AtomicOutput out(path);
  {
    std::ofstream f(out.tempPath(), std::ios::binary);
    if (!f) throw Error("cannot write '" + out.tempPath().string() + "'");
    f << text;
    f.flush();
    if (!f) throw Error("write failed: '" + out.tempPath().string() + "'");
  }
  out.commit();
}

std::string readText(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw InputError("'" + path.string() + "': cannot open file");
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

fs::path resolveAgainst(const fs::path& base, const fs::path& p) {
  if (p.empty() || p.is_absolute()) return p;
  return (base / p).lexically_normal();
}

FileStamp fileStamp(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  FileStamp s;
  s.size = static_cast<uint64_t>(st.st_size);
  s.mtimeNs = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
  return s;
}

}  // namespace mst
