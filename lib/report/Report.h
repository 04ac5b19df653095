// Result tables and figures from stored runs (no torch, no ITK).
//
// Reads RESULTS/<experiment>/experiment.json and every completed run
// (runs/*/run.json + per_study.csv, sources/*/...), and writes, atomically:
//   per_study.csv    every run's per-study metrics with run, arm, size, repeat
//   summary.csv      tidy: task, train_size, arm, repeat, metric, mean, se, n
//                    (repeat "all": per-study means over repeats, then mean +- SE over studies)
//   comparisons.csv  reference arm vs each other arm at each size, paired per
//                    study (repeats averaged): mean difference, bootstrap CI, t and
//                    Wilcoxon p-values, Holm-adjusted over the experiment's family
//   sources.csv      each source model on its held-out source studies
//   table.md / table.tex / table.csv   laid out like the study: "0.55 ± 0.02 (p = 0.001)"
//   figure.png / figure.pdf            sensitivity and PPV against training size (analysis/plot_results.py)
//   report.md        all of it, with provenance
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace mst::report {

struct ReportResult {
  int runs = 0;
  bool figure = false;
  std::vector<std::filesystem::path> files;
};

// Throws InputError when the folder holds no experiment.json.
ReportResult buildReport(const std::filesystem::path& experimentDir);

// Every experiment folder under `results` (or `results` itself when it is one).
std::vector<std::filesystem::path> findExperiments(const std::filesystem::path& results);

// "0.55 ± 0.02" (two decimals; "n/a" when undefined).
std::string meanSe(double mean, double se, bool haveSe);
// "p = 0.437", "p < 0.001".
std::string formatP(double p);

}  // namespace mst::report
