#include "lib/core/Process.h"

#include <fcntl.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "lib/core/Error.h"

extern char** environ;

namespace mst {

namespace {
constexpr const char* kParentVar = "MST_PARENT_PID";
}

ChildResult runChild(const std::vector<std::string>& argv, const std::filesystem::path& logFile) {
  if (argv.empty()) throw Error("runChild: empty command");
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  // posix_spawn, not fork: fork runs the pthread_atfork handlers of the libraries (ITK joins its
  // thread pool there), which deadlocks when several runner threads start children at once.
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e)
    if (std::strncmp(*e, kParentVar, std::strlen(kParentVar)) != 0) env.emplace_back(*e);
  env.push_back(std::string(kParentVar) + "=" + std::to_string(::getpid()));
  std::vector<char*> cenv;
  for (auto& e : env) cenv.push_back(e.data());
  cenv.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (!logFile.empty()) {
    std::filesystem::create_directories(logFile.parent_path());
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, logFile.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
  }
  pid_t pid = 0;
  // The child inherits no descriptor beyond stdin/out/err: an inherited HDF5 file or lock file would keep
  // the parent's flock (shared open file description) alive for the child's lifetime, so the parent could
  // not reopen a cache it is building while another thread starts a run.
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  const int rc = ::posix_spawn(&pid, cargv[0], &fa, nullptr, cargv.data(), cenv.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw Error("cannot start '" + argv[0] + "': " + std::strerror(rc));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw Error(std::string("waitpid failed: ") + std::strerror(errno));
  }
  ChildResult r;
  if (WIFEXITED(status)) r.exitCode = WEXITSTATUS(status);
  else if (WIFSIGNALED(status)) r.exitCode = 128 + WTERMSIG(status);
  else r.exitCode = 1;
  return r;
}

void tuneAllocator() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
}

void dieWithParentIfChild() {
  const char* v = std::getenv(kParentVar);
  if (!v) return;
  const pid_t parent = static_cast<pid_t>(std::atoll(v));
  ::unsetenv(kParentVar);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(137);  // the runner died before prctl took effect
}

std::filesystem::path selfExecutable() { return std::filesystem::canonical("/proc/self/exe"); }

std::string tailOfFile(const std::filesystem::path& file, int lines) {
  std::ifstream f(file);
  if (!f) return "";
  std::vector<std::string> all;
  for (std::string l; std::getline(f, l);) all.push_back(l);
  std::ostringstream os;
  for (size_t i = all.size() > static_cast<size_t>(lines) ? all.size() - static_cast<size_t>(lines) : 0; i < all.size(); ++i)
    os << all[i] << "\n";
  return os.str();
}

}  // namespace mst
