#include "lib/report/Report.h"

#include <sstream>

#include "lib/core/Error.h"
#include "lib/core/Fs.h"
#include "lib/report/ReportParts.h"

namespace mst::report {

namespace fs = std::filesystem;

namespace {

struct ReportSections {
  std::string design, lesion, fp, sources, training, caveats, efficiency, planning, verdicts;
};

void refuseIncomplete(const fs::path& expDir, const ReportResult& res) {
  if (res.missing.empty()) return;
  std::string list;
  for (size_t i = 0; i < res.missing.size() && i < 12; ++i) list += "\n  " + res.missing[i];
  if (res.missing.size() > 12) list += "\n  ... and " + std::to_string(res.missing.size() - 12) + " more";
  throw IncompleteError("'" + expDir.string() + "': " + std::to_string(res.missing.size()) +
                        " planned run(s) have no complete results; nothing was written. Run the experiment again "
                        "(completed runs are kept) to finish them:" + list);
}

// What a reader must know before reading an effect into the tables.
constexpr int64_t kFewStudies = 20;  // below it, say that the bootstrap over studies runs narrow

std::string caveatsMarkdown(const ExperimentInfo& info, const Pooled& pooled, const CellFlags& flags,
                            const std::vector<Comparison>& cmps, const std::string& data) {
  std::string md;
  int cap = 0, never = 0, fixed = 0, few = 0;
  for (const auto& [k, f] : flags) {
    cap += f.cap;
    never += f.neverLearned;
    fixed += f.fixedBudget;
  }
  std::set<std::pair<std::string, int>> fewCells;
  for (const auto& [k, c] : pooled)
    if (c.n > 0 && c.n < 3) fewCells.insert({std::get<0>(k), std::get<1>(k)});
  few = static_cast<int>(fewCells.size());
  if (cap) md += "- " + std::to_string(cap) + " cell(s) (†) rest on runs that reached the iteration cap while still "
                 "improving on validation: not converged; their differences are not effects of the initialisation.\n";
  if (never) md += "- " + std::to_string(never) + " cell(s) (‡) rest on runs that never rose above their starting "
                   "validation level: not trained models.\n";
  if (fixed) md += "- " + std::to_string(fixed) + " cell(s) trained a fixed number of iterations without early "
                   "stopping: whether either arm converged was not checked.\n";
  if (few) md += "- " + std::to_string(few) + " cell(s) rest on fewer than 3 studies for some metric: mean only.\n";
  if (data.rfind("synthetic:", 0) == 0)
    md += "- The data are the built-in synthetic cohorts: the numbers show what this design does on phantoms, not "
          "what it does on patients.\n";
  md += "- p-values in the tables are unadjusted; Holm-adjusted values over the experiment's comparisons are in "
        "comparisons.csv and table.csv. The tables' p-values come from the " + testLabel(info.testName) +
        (info.testName == "two_level" ? "; the paper's Wilcoxon test over studies is in comparisons.csv.\n"
                                      : ", so n is the number of test studies, not of runs, and the variation "
                                        "between training runs is not in the p-value.\n");
  if (info.testName == "two_level" && std::any_of(cmps.begin(), cmps.end(), [](const Comparison& c) {
        return c.tl.nStudies > 0 && c.tl.nStudies < kFewStudies;
      }))
    md += "- Some comparisons rest on fewer than " + std::to_string(kFewStudies) +
          " test studies: a percentile bootstrap is then narrower than it should be (it misses the factor "
          "(n − 1)/n of the variance and the tails of a small sample), so its p-values run small; read them beside "
          "the Wilcoxon p in comparisons.csv, and add test studies (they cost only inference).\n";
  md += "- Lesion-size strata and regions pool lesions over studies: read their n (shown) before their rate.\n";
  return md;
}

void writeReportMd(const fs::path& expDir, const ExperimentInfo& info, const ReportResult& res, const ReportSections& s) {
  std::ostringstream md;
  md << "# " << info.task << "\n\n" << info.description << "\n\n" << s.design;
  md << "## Results\n\n### Lesion-wise sensitivity and PPV per test study\n\n" << readText(expDir / "table.md") << "\n";
  if (res.figure) md << "![sensitivity and PPV against training-set size](figure.png)\n\n";
  if (!s.verdicts.empty()) md << "### Verdicts\n\n" << s.verdicts << "\n";
  if (!s.efficiency.empty()) {
    md << "### Studies saved by transfer\n\n" << s.efficiency << "\n";
    if (fs::exists(expDir / "efficiency.png"))
      md << "![learning curves with the de-novo-equivalent sizes](efficiency.png)\n\n";
  }
  if (!s.planning.empty()) md << "### Uncertainty: variance components and planning\n\n" << s.planning << "\n";
  if (!s.lesion.empty()) {
    md << "### Lesion level, threshold-free and volume agreement\n\n" << s.lesion << "\n";
    for (const auto& [file, what] : {std::pair<const char*, const char*>{"froc.png", "FROC and precision-recall per arm"},
                                     {"strata.png", "sensitivity by lesion volume"},
                                     {"volume_agreement.png", "Bland-Altman agreement of lesion volume"}})
      if (fs::exists(expDir / file)) md << "![" << what << "](" << file << ")\n\n";
  }
  if (!s.fp.empty()) md << "### Where the false positives are\n\n" << s.fp << "\n";
  if (!s.sources.empty()) md << "### Source models\n\n" << s.sources << "\n";
  md << "## Training: what each cell rests on\n\n" << s.training << "\n";
  if (fs::exists(expDir / "budget.png")) md << "![validation metrics against iterations](budget.png)\n\n";
  md << "## Caveats\n\n" << s.caveats << "\n";
  md << "## Files\n\n- table.md, table.tex (booktabs), table.csv (one numeric row per cell: mean, se, sd, CI, n, p, "
        "Holm p)\n- per_study.csv, summary.csv, comparisons.csv (two-level CIs and p, Wilcoxon and t over studies, effect "
        "sizes, variance components), efficiency.csv (de-novo-equivalent training sizes), planning.csv\n"
        "- froc.csv, lesion_level.csv, strata.csv, fp_regions.csv (when present)\n- budget.csv, training.csv\n\n";
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
  const std::vector<RunMeta> runs = runMetas(runDirs);
  std::vector<Row> rows = loadRuns(runs, &res.runs);
  const auto sweeps = loadSweeps(runs);
  addSweepMetrics(rows, sweeps);
  std::set<int> sizes;
  for (const auto& r : rows) sizes.insert(r.size);

  writePerStudy(expDir, info.task, rows);
  const Pooled pooled = writeSummary(expDir, info, rows, sizes);
  const auto cmps = compareArms(info, rows, sizes);
  const auto training = loadTraining(runDirs), sourceTraining = loadTraining(sourceDirs);
  const CellFlags flags = cellFlags(training);
  writeComparisons(expDir, info.task, cmps, info.paired.ciLevel, flags);
  ReportSections sections;
  sections.verdicts = verdictMarkdown(info, cmps, flags);
  sections.efficiency = efficiencyMarkdown(writeEfficiency(expDir, info, rows));
  sections.planning = writePlanning(expDir, info, cmps);
  writeTables(expDir, info, sizes, pooled, cmps, flags);
  std::vector<RunTraining> all = sourceTraining;
  all.insert(all.end(), training.begin(), training.end());
  writeBudget(expDir, info.name, all);
  const std::string srcMd = writeSources(expDir, info.task, sourceDirs);
  const std::string fpMd = writeFpRegions(expDir, info.task, runs);
  sections.fp = fpMd;
  sections.sources = srcMd;
  sections.lesion = writeLesionLevel(expDir, info, rows, sizes, sweeps, runs);
  res.figure = !rows.empty() && drawFigure(expDir);
  sections.design = designMarkdown(info.resolved);
  sections.training = trainingMarkdown(info, training, sourceTraining);
  sections.caveats = caveatsMarkdown(info, pooled, flags, cmps, info.resolved.value("data", ""));
  writeReportMd(expDir, info, res, sections);
  for (const char* f : {"per_study.csv", "summary.csv", "comparisons.csv", "efficiency.csv", "planning.csv", "table.md", "table.csv", "table.tex",
                        "budget.csv", "training.csv", "lesion_level.csv", "froc.csv", "strata.csv"})
    if (fs::exists(expDir / f)) res.files.push_back(expDir / f);
  return res;
}

}  // namespace mst::report
