#include "lib/core/FileLock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "lib/core/Error.h"
#include "lib/core/Log.h"

namespace mst {

FileLock::FileLock(const std::filesystem::path& p) {
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path());
  fd_ = ::open(p.c_str(), O_CREAT | O_RDWR, 0644);
  if (fd_ < 0) throw Error("cannot create lock file '" + p.string() + "'");
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    log::info("waiting for another process holding '", p.string(), "'");
    ::flock(fd_, LOCK_EX);
  }
}

FileLock::~FileLock() {
  if (fd_ >= 0) {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }
}

}  // namespace mst
