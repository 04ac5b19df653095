// An exclusive advisory lock on a file (flock), held for the object's
// lifetime: serialises cache builds and source-model training across
// processes sharing a file system. Blocks until the lock is free.
#pragma once

#include <filesystem>

namespace mst {

class FileLock {
 public:
  explicit FileLock(const std::filesystem::path& lockFile);  // creates it (and its folder); throws Error when it cannot
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace mst
