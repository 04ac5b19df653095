#include "lib/train/EarlyStop.h"

namespace mst::train {

bool observe(StopState& s, const TrainConfig& c, int64_t iteration, double value, bool findsLesions) {
  if (!s.started) {
    s.started = true;
    s.start = s.best = value;
    s.bestIteration = iteration;
    return true;
  }
  if (findsLesions && value > s.best + c.minDelta) {
    s.best = value;
    s.bestIteration = iteration;
    s.learned = true;
    s.sinceBest = 0;
    return true;
  }
  if (s.learned && iteration >= c.minIterations) {
    ++s.sinceBest;
    if (c.schedule == "plateau" && s.sinceBest % c.lrPatience == 0) ++s.reductions;
  }
  if (c.earlyStop && s.sinceBest >= c.patience) s.plateau = true;
  return false;
}

std::string stopReason(const StopState& s, bool early) {
  if (!early) return "budget";
  if (!s.learned) return "never_learned";
  return s.plateau ? "plateau" : "cap";
}

}  // namespace mst::train
