// runCli: only the CLI tests (test_cli) run the mstransfer binary.
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>

#include "tests/support/TestSupport.h"

namespace mst::test {

CliResult runCli(const std::string& args, const std::string& env) {
  TempDir tmp("mst-cli");
  const fs::path out = tmp / "out.txt", err = tmp / "err.txt";
  const std::string cmd = env + (env.empty() ? "" : " ") + std::string("'") + MST_TEST_BIN + "' " + args + " >'" + out.string() + "' 2>'" + err.string() + "'";
  int status = std::system(cmd.c_str());
  CliResult r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = readFile(out);
  r.err = readFile(err);
  return r;
}

}  // namespace mst::test
