// File helpers: nothing half-written.
//
// AtomicOutput gives a temporary path beside the final one
// (".tmp-<pid>-<n>-<name>", keeping the extension); commit() renames it into place (atomic on POSIX
// within one file system). If the object is destroyed without commit(), the
// temporary file is removed, so an interrupted writer leaves no file that
// looks complete.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace mst {

namespace fs = std::filesystem;

class AtomicOutput {
 public:
  explicit AtomicOutput(fs::path finalPath);
  ~AtomicOutput();
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;

  const fs::path& tempPath() const { return temp_; }
  const fs::path& finalPath() const { return final_; }
  void commit();  // rename temp -> final; throws mst::Error on failure

 private:
  fs::path final_;
  fs::path temp_;
  bool committed_ = false;
};

// Writes text to path atomically (creates parent folders).
void writeTextAtomic(const fs::path& path, const std::string& text);
// Reads a whole file; throws InputError naming the file when unreadable.
std::string readText(const fs::path& path);
// Resolves p against base when p is relative.
fs::path resolveAgainst(const fs::path& base, const fs::path& p);
// Size and modification time (ns) of a file, for cheap identity checks.
struct FileStamp {
  uint64_t size = 0;
  int64_t mtimeNs = 0;
};
FileStamp fileStamp(const fs::path& path);

}  // namespace mst
