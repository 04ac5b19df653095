#include "lib/report/Report.h"

#include <sstream>

#include "lib/core/Error.h"
#include "lib/core/Fs.h"
#include "lib/report/ReportParts.h"

namespace mst::report {

namespace fs = std::filesystem;

namespace {

void refuseIncomplete(const fs::path& expDir, const ReportResult& res) {
  if (res.missing.empty()) return;
  std::string list;
  for (size_t i = 0; i < res.missing.size() && i < 12; ++i) list += "\n  " + res.missing[i];
  if (res.missing.size() > 12) list += "\n  ... and " + std::to_string(res.missing.size() - 12) + " more";
  throw IncompleteError("'" + expDir.string() + "': " + std::to_string(res.missing.size()) +
                        " planned run(s) have no complete results; nothing was written. Run the experiment again "
                        "(completed runs are kept) to finish them:" + list);
}

void writeReportMd(const fs::path& expDir, const ExperimentInfo& info, const ReportResult& res, const std::string& srcMd) {
  std::ostringstream md;
  md << "# " << info.task << "\n\n" << info.description << "\n\n";
  md << readText(expDir / "table.md") << "\n";
  if (!srcMd.empty()) md << "## Source models\n\n" << srcMd << "\n";
  if (res.figure) md << "![sensitivity and PPV against training-set size](figure.png)\n\n";
  md << "## Provenance\n\n- runs: " << res.runs << " (the current plan"
     << (res.stale ? "; " + std::to_string(res.stale) + " stale run folder(s) of earlier settings ignored" : std::string())
     << ")\n- definition: experiment.json (resolved configuration)\n"
     << "- each run: runs/<id>/run.json (configuration, seeds, git commit, library versions, timings)\n";
  writeTextAtomic(expDir / "report.md", md.str());
}

}  // namespace

ReportResult buildReport(const fs::path& expDir) {
  const ExperimentInfo info = readExperimentInfo(expDir);
  ReportResult res;
  const PlannedRuns plan = readPlan(expDir);
  const auto runDirs = plannedRunDirs(expDir, "runs", plan.runs, plan.present, res);
  const auto sourceDirs = plannedRunDirs(expDir, "sources", plan.sources, plan.present, res);
  refuseIncomplete(expDir, res);
  const std::vector<Row> rows = loadRuns(runDirs, &res.runs);
  std::set<int> sizes;
  for (const auto& r : rows) sizes.insert(r.size);

  writePerStudy(expDir, info.task, rows);
  const Pooled pooled = writeSummary(expDir, info, rows, sizes);
  const auto cmps = compareArms(info, rows, sizes);
  writeComparisons(expDir, info.task, cmps);
  writeTables(expDir, info, sizes, pooled, cmps);
  const std::string srcMd = writeSources(expDir, info.task, sourceDirs);
  res.figure = !rows.empty() && drawFigure(expDir);
  writeReportMd(expDir, info, res, srcMd);
  for (const char* f : {"per_study.csv", "summary.csv", "comparisons.csv", "table.md", "table.csv", "table.tex"})
    res.files.push_back(expDir / f);
  return res;
}

}  // namespace mst::report
