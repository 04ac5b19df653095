#include "lib/core/Progress.h"

#include <unistd.h>

#include <cstdio>

namespace mst {

Progress::Progress(std::string label, int64_t total, double interval)
    : label_(std::move(label)), total_(total), interval_(interval), tty_(isTerminal()) {
  start_ = lastDraw_ = std::chrono::steady_clock::now();
}

Progress::~Progress() {
  if (!finished_ && tty_ && done_ > 0) std::fputc('\n', stderr);
}

bool Progress::isTerminal() { return ::isatty(2) == 1; }

double Progress::elapsedSeconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

std::string formatDuration(double s) {
  if (s < 0 || s > 1e7) return "--:--";
  long t = static_cast<long>(s + 0.5);
  char buf[32];
  if (t >= 3600) std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
  else std::snprintf(buf, sizeof buf, "%02ld:%02ld", t / 60, t % 60);
  return buf;
}

void Progress::update(int64_t done, const std::string& extra) {
  if (startDone_ < 0) startDone_ = done > 0 ? done : 0;  // resumed work: rate from here on
  done_ = done;
  extra_ = extra;
  auto now = std::chrono::steady_clock::now();
  double since = std::chrono::duration<double>(now - lastDraw_).count();
  if ((tty_ && since >= 0.2) || (!tty_ && since >= interval_)) {
    lastDraw_ = now;
    draw(false);
  }
}

void Progress::finish(const std::string& extra) {
  if (finished_) return;
  done_ = total_;
  if (!extra.empty()) extra_ = extra;
  draw(true);
  finished_ = true;
}

void Progress::draw(bool final) {
  const double el = elapsedSeconds();
  const double frac = total_ > 0 ? static_cast<double>(done_) / total_ : 1.0;
  const int64_t doneHere = done_ - (startDone_ < 0 ? 0 : startDone_);
  const double rate = el > 0 ? doneHere / el : 0.0;
  const double eta = rate > 0 ? (total_ - done_) / rate : -1;
  char head[64];
  std::snprintf(head, sizeof head, "%lld/%lld %3d%%", static_cast<long long>(done_), static_cast<long long>(total_),
                static_cast<int>(frac * 100 + 0.5));
  std::string line = label_ + " ";
  if (tty_) {
    const int width = 24;
    int filled = static_cast<int>(frac * width);
    line += "[" + std::string(filled, '=') + (filled < width ? ">" : "") +
            std::string(width - filled - (filled < width ? 1 : 0), ' ') + "] ";
  }
  line += head;
  if (!extra_.empty()) line += " | " + extra_;
  line += final ? " | " + formatDuration(el) + " total" : " | ETA " + formatDuration(eta);
  if (tty_) std::fprintf(stderr, "\r\033[K%s%s", line.c_str(), final ? "\n" : "");
  else std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
}

}  // namespace mst
