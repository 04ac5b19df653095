// Result tables and figures from stored runs (no torch, no ITK).
//
// Reads RESULTS/<experiment>/experiment.json and exactly the runs of the
// current plan (plan.json: runs/<id>/ and sources/<id>/, each complete), and
// writes, atomically:
//   per_study.csv    every run's per-study metrics with run, arm, size, repeat
//   summary.csv      tidy: task, train_size, arm, repeat, metric, mean, se, sd, n
//                    (repeat "all": per-study means over repeats, then mean +- SE over studies)
//   comparisons.csv  reference arm vs each other arm at each size, paired per
//                    study (repeats averaged): mean difference, bootstrap CI, t and
//                    Wilcoxon p-values, Holm-adjusted over the experiment's family
//   sources.csv      each source model on its held-out source studies
//   table.md / table.tex  laid out like the study: "0.55 ± 0.02 (p = 0.001)" (booktabs float in .tex)
//   table.csv        one numeric row per cell: n, mean, se, sd, CI, p, Holm p, flags
//   froc.csv, lesion_level.csv, strata.csv   threshold sweep, pooled and lesion-level numbers, strata
//   figure.png / figure.pdf            sensitivity and PPV against training size (analysis/plot_results.py)
//   report.md        all of it, with provenance
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "lib/core/Error.h"

namespace mst::report {

struct ReportResult {
  int runs = 0;
  int stale = 0;                       // run folders not in the current plan (ignored)
  std::vector<std::string> missing;    // planned runs without complete results
  bool figure = false;
  std::vector<std::filesystem::path> files;
};

// A planned run without complete results: the report refuses to write partial tables.
// An InputError (exit 2): the results folder given to `report` is not complete.
class IncompleteError : public InputError {
 public:
  using InputError::InputError;
};

// Throws InputError when the folder holds no experiment.json (or a file is not
// valid JSON, naming it), IncompleteError when a planned run is not complete.
// Reads exactly the runs listed in plan.json (written by `mstransfer run`);
// run folders of earlier settings stay on disk and are counted as stale.
ReportResult buildReport(const std::filesystem::path& experimentDir);

// A run folder holds complete results: run.json with status "done" and the
// per_study.csv whose hash run.json records. `why` says what is missing.
bool runComplete(const std::filesystem::path& runDir, std::string* why = nullptr);
// analysis/plot_results.py as this binary finds it: $MST_DATA_DIR, then BIN/../share/mstransfer/
// (an installed binary), then beside the binary, then the source tree it was built from.
std::filesystem::path figureScript();
// The hash recorded in run.json for per_study.csv.
std::string perStudyHash(const std::string& csvText);

// plan.json: the ids of the planned sweep runs and source runs.
struct PlannedRuns {
  bool present = false;
  std::vector<std::string> runs, sources;
};
PlannedRuns readPlan(const std::filesystem::path& experimentDir);

// Every experiment folder under `results` (or `results` itself when it is one).
std::vector<std::filesystem::path> findExperiments(const std::filesystem::path& results);

// "0.55 ± 0.02" (two decimals; "n/a" when undefined).
std::string meanSe(double mean, double se, bool haveSe);
// "p = 0.437", "p < 0.001".
std::string formatP(double p);

}  // namespace mst::report
