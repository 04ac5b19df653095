// Early stopping on a validation metric (no torch).
//
// The rule, the same for every arm:
//   - the first evaluation (iteration 0, before any step) sets the starting
//     level and the best so far;
//   - an evaluation improves when its value exceeds the best by more than
//     `min_delta` and the model finds at least one validation lesion (the best
//     and its checkpoint move only then): a model that predicts nothing can
//     score well where validation studies have no lesions (new lesions, sparse
//     enhancement), but it has not learned the task and is never kept;
//   - patience counts the evaluations since the last improvement, but only
//     once the run has learned (improved on its starting level at least once)
//     and only from `min_iterations` on: a flat start never ends a run;
//   - the run stops on a plateau after `patience` evaluations without an
//     improvement; otherwise it ends at the cap (`iterations`);
//   - a run that never improved on its starting level is "never_learned".
// Stop reasons: "plateau", "cap", "never_learned"; "budget" when early
// stopping is off (a fixed number of iterations, convergence not checked).
// With schedule = "plateau" the learning rate is cut by lr_factor after every
// lr_patience of those evaluations (before patience runs out, when
// lr_patience < patience), so a run converges at a low rate before it stops.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "lib/config/TrainConfig.h"

namespace mst::train {

struct StopState {
  bool started = false;
  double start = 0;           // value at the first evaluation
  double best = 0;            // best value (moves by > min_delta)
  int64_t bestIteration = 0;  // iteration of `best`
  int sinceBest = 0;          // evaluations without improvement counted towards patience
  bool learned = false;       // improved on `start` at least once
  bool plateau = false;       // the rule says stop
  int reductions = 0;         // learning-rate cuts of schedule = "plateau"
};

// Records the evaluation of `iteration`; returns true when it is the new best (keep its weights).
// `findsLesions`: whether the evaluated model detected any validation lesion (sensitivity > 0).
bool observe(StopState& s, const TrainConfig& c, int64_t iteration, double value, bool findsLesions = true);

// Why the run ended: see above. `early` is whether early stopping was on.
std::string stopReason(const StopState& s, bool early);

// One evaluation on the budget curve: mean lesion-wise metrics over a split's studies
// (missing when undefined on every study, e.g. PPV with no predicted lesion).
struct CurvePoint {
  int64_t iteration = 0;
  std::string split;                       // "validation" or "test"
  std::map<std::string, double> metrics;   // sensitivity, ppv, f1, dice
};

}  // namespace mst::train
