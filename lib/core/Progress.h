// Progress reporting for work that takes minutes.
//
// On a terminal (stderr is a TTY) a single line is redrawn:
//   "train [=====>      ] 450/1000 45% | loss 0.41 | 12.3 patches/s | ETA 00:41"
// Otherwise (CI, log files) a plain line is printed at most every
// `plainIntervalSeconds` and at the end. Thread-compatible, not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace mst {

class Progress {
 public:
  Progress(std::string label, int64_t total, double plainIntervalSeconds = 10.0);
  ~Progress();
  // Sets the count of finished units and an optional extra text ("loss 0.41").
  void update(int64_t done, const std::string& extra = "");
  void finish(const std::string& extra = "");
  double elapsedSeconds() const;
  static bool isTerminal();

 private:
  void draw(bool final);
  std::string label_;
  int64_t total_;
  int64_t done_ = 0;
  int64_t startDone_ = -1;
  std::string extra_;
  double interval_;
  bool tty_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_, lastDraw_;
};

std::string formatDuration(double seconds);  // "01:23" or "1:02:03"

}  // namespace mst
