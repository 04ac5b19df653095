// Where the false positives are: each run's fp_regions.csv (synthetic cohorts,
// whose generator knows every voxel's region) summarised per arm and size.
#include <cstdio>

#include "lib/core/Csv.h"
#include "lib/core/Fs.h"
#include "lib/report/ReportParts.h"

namespace mst::report {

namespace fs = std::filesystem;

std::string writeFpRegions(const fs::path& expDir, const std::string& task, const std::vector<RunMeta>& runs) {
  // (arm, size, region) -> (false-positive lesions, volume mm3, study rows); order of regions as first seen.
  struct Acc {
    double lesions = 0, volume = 0;
    int studies = 0;
  };
  std::map<std::tuple<std::string, int, std::string>, Acc> acc;
  std::vector<std::string> regions;
  std::set<std::pair<int, std::string>> cells;
  for (const auto& run : runs) {
    const fs::path& rd = run.dir;
    if (!fs::exists(rd / "fp_regions.csv")) continue;
    const std::string& arm = run.arm;
    const int size = run.size;
    const CsvTable t = readCsv(rd / "fp_regions.csv");
    const int cr = t.column("region"), cl = t.column("fp_lesions"), cv = t.column("fp_volume_mm3");
    if (cr < 0 || cl < 0 || cv < 0) throw InputError("'" + (rd / "fp_regions.csv").string() + "': unexpected columns");
    for (const auto& row : t.rows) {
      const std::string& region = row[static_cast<size_t>(cr)];
      if (std::find(regions.begin(), regions.end(), region) == regions.end()) regions.push_back(region);
      auto& a = acc[{arm, size, region}];
      a.lesions += std::stod(row[static_cast<size_t>(cl)]);
      a.volume += std::stod(row[static_cast<size_t>(cv)]);
      ++a.studies;
      cells.insert({size, arm});
    }
  }
  const fs::path out = expDir / "fp_regions.csv";
  if (acc.empty()) {
    std::error_code ec;
    fs::remove(out, ec);
    return "";
  }
  std::string csv = csvLine({"task", "arm", "train_size", "region", "fp_lesions_per_study", "fp_volume_mm3_per_study",
                             "study_rows"});
  std::string md = "| n train | arm |";
  for (const auto& r : regions) md += " " + r + " |";
  md += " all |\n|---:|---|";
  for (size_t i = 0; i <= regions.size(); ++i) md += "---:|";
  md += "\n";
  for (const auto& [size, arm] : cells) {
    md += "| " + std::to_string(size) + " | " + arm + " |";
    double total = 0;
    for (const auto& r : regions) {
      const Acc& a = acc[{arm, size, r}];
      const double per = a.studies ? a.lesions / a.studies : 0.0;
      total += per;
      csv += csvLine({task, arm, std::to_string(size), r, fmt(per), fmt(a.studies ? a.volume / a.studies : 0.0),
                      std::to_string(a.studies)});
      char b[32];
      std::snprintf(b, sizeof b, " %.2f |", per);
      md += b;
    }
    char b[32];
    std::snprintf(b, sizeof b, " %.2f |\n", total);
    md += b;
  }
  writeTextAtomic(out, csv);
  return md + "\nFalse-positive lesions per test study (mean over studies and repeats) by the region of most of their "
              "voxels, from the generator's region maps: a predicted lesion is false when no true voxel touches it "
              "(criterion any, the [eval] connectivity and minimum size).\n";
}

}  // namespace mst::report
