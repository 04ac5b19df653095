// Paired comparison of two arms on one metric, per study.
//
// Pairs where either value is undefined (empty/NaN) are dropped from the
// comparison; the number of pairs used and dropped is reported.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "lib/stats/Stats.h"

namespace mst::stats {

struct PairedResult {
  int64_t nPairs = 0, nDropped = 0;
  Summary a, b;
  std::optional<double> meanDiff;  // mean(a - b) over the pairs used
  TTest t;
  Wilcoxon w;
  BootstrapCi ci;
  std::optional<double> cohenDz, rankBiserial;
};

struct PairedOptions {
  int bootstrapResamples = 10000;
  double ciLevel = 0.95;
  uint64_t seed = 12345;
  // Throws InputError naming the field: bootstrap >= 1, ci_level in (0, 1).
  void validate(const std::string& where) const;
};

PairedResult comparePaired(const std::vector<std::optional<double>>& a, const std::vector<std::optional<double>>& b,
                           const PairedOptions& options = {});

// Joins two per-study CSVs on subject (and session when both have it) and
// extracts `metric`. Throws InputError naming the file and column when the
// metric or key columns are missing, a cell is not a number, or a key is
// duplicated. Studies present in only one file are listed in `unmatched`.
struct JoinedColumns {
  std::vector<std::string> keys;
  std::vector<std::optional<double>> a, b;
  std::vector<std::string> unmatched;
};
JoinedColumns joinOnStudy(const std::filesystem::path& fileA, const std::filesystem::path& fileB,
                          const std::string& metric);

std::string toJson(const PairedResult& r, const std::string& metric);
std::string formatNumber(const std::optional<double>& v, const char* undefined = "null");

}  // namespace mst::stats
