// figure.png / figure.pdf through analysis/plot_results.py (matplotlib).
#include <cstdlib>
#include <vector>

#include "lib/core/Log.h"
#include "lib/report/ReportParts.h"

namespace mst::report {

namespace fs = std::filesystem;

fs::path figureScript() {
  // An installed or copied binary finds the script beside itself (PREFIX/bin -> PREFIX/share/mstransfer),
  // or through MST_DATA_DIR; a build tree uses its source tree.
  std::vector<fs::path> candidates;
  if (const char* d = std::getenv("MST_DATA_DIR")) candidates.push_back(fs::path(d) / "plot_results.py");
  std::error_code ec;
  const fs::path exe = fs::canonical("/proc/self/exe", ec);
  if (!ec) {
    candidates.push_back(exe.parent_path() / ".." / "share" / "mstransfer" / "plot_results.py");
    candidates.push_back(exe.parent_path() / "plot_results.py");
  }
  candidates.push_back(fs::path(MST_SOURCE_DIR) / "analysis" / "plot_results.py");
  for (const auto& c : candidates)
    if (fs::exists(c)) return c.lexically_normal();
  return candidates.back();
}

bool drawFigure(const fs::path& expDir) {
  const fs::path script = figureScript();
  const std::string py = fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  if (!fs::exists(script)) return false;
  const std::string cmd = py + " '" + script.string() + "' '" + expDir.string() + "' >/dev/null 2>&1";
  const bool ok = std::system(cmd.c_str()) == 0 && fs::exists(expDir / "figure.png");
  if (!ok) log::warn(expDir.string(), ": figure not made (needs python3-matplotlib: make deps)");
  return ok;
}

}  // namespace mst::report
