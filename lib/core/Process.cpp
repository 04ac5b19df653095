#include "lib/core/Process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "lib/core/Error.h"

namespace mst {

ChildResult runChild(const std::vector<std::string>& argv, const std::filesystem::path& logFile) {
  if (argv.empty()) throw Error("runChild: empty command");
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  int logFd = -1;
  if (!logFile.empty()) {
    std::filesystem::create_directories(logFile.parent_path());
    logFd = ::open(logFile.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (logFd < 0) throw Error("cannot open log '" + logFile.string() + "': " + std::strerror(errno));
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    if (logFd >= 0) ::close(logFd);
    throw Error(std::string("fork failed: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // Child: die with the parent, whatever killed it.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(137);  // the parent died before prctl
    if (logFd >= 0) {
      ::dup2(logFd, STDOUT_FILENO);
      ::dup2(logFd, STDERR_FILENO);
    }
    ::execv(cargv[0], cargv.data());
    const std::string msg = std::string("error: cannot execute '") + argv[0] + "': " + std::strerror(errno) + "\n";
    (void)!::write(STDERR_FILENO, msg.data(), msg.size());
    ::_exit(127);
  }
  if (logFd >= 0) ::close(logFd);
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
