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

void writeReportMd(const fs::path& expDir, const ExperimentInfo& info, const ReportResult& res, const std::string& srcMd,
                   const std::string& trainingMd, const std::string& fpMd) {
  std::ostringstream md;
  md << "# " << info.task << "\n\n" << info.description << "\n\n";
  md << readText(expDir / "table.md") << "\n";
  md << "## Training: what each cell rests on\n\n" << trainingMd << "\n";
  if (fs::exists(expDir / "budget.png")) md << "![validation metrics against iterations](budget.png)\n\n";
  if (!srcMd.empty()) md << "## Source models\n\n" << srcMd << "\n";
  if (!fpMd.empty()) md << "## Where the false positives are\n\n" << fpMd << "\n";
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
  const auto training = loadTraining(runDirs), sourceTraining = loadTraining(sourceDirs);
  writeTables(expDir, info, sizes, pooled, cmps, cellFlags(training));
  std::vector<RunTraining> all = sourceTraining;
  all.insert(all.end(), training.begin(), training.end());
  writeBudget(expDir, info.name, all);
  const std::string srcMd = writeSources(expDir, info.task, sourceDirs);
  const std::string fpMd = writeFpRegions(expDir, info.task, runDirs);
  res.figure = !rows.empty() && drawFigure(expDir);
  writeReportMd(expDir, info, res, srcMd, trainingMarkdown(info, training, sourceTraining), fpMd);
  for (const char* f : {"per_study.csv", "summary.csv", "comparisons.csv", "table.md", "table.csv", "table.tex",
                        "budget.csv", "training.csv"})
    res.files.push_back(expDir / f);
  return res;
}

}  // namespace mst::report
