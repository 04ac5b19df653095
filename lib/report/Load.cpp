// Loading an experiment's results: experiment.json, plan.json and the runs' files.
#include <algorithm>
#include <cstdlib>

#include "lib/core/Csv.h"
#include "lib/core/Error.h"
#include "lib/core/Fs.h"
#include "lib/core/Hash.h"
#include "lib/report/ReportParts.h"

namespace mst::report {

namespace fs = std::filesystem;

namespace {

std::optional<double> num(const std::string& s) {
  if (s.empty()) return std::nullopt;
  return std::strtod(s.c_str(), nullptr);
}

}  // namespace

nlohmann::json parseJsonFile(const fs::path& file) {
  try {
    return nlohmann::json::parse(readText(file));
  } catch (const nlohmann::json::exception& e) {
    throw InputError("'" + file.string() + "': not valid JSON (" + std::string(e.what()).substr(0, 160) +
                     "); delete the run folder's run.json to redo that run");
  }
}

ExperimentInfo readExperimentInfo(const fs::path& expDir) {
  if (!fs::exists(expDir / "experiment.json"))
    throw InputError("'" + expDir.string() + "': no experiment.json (not an mstransfer results folder)");
  auto ex = parseJsonFile(expDir / "experiment.json");
  ExperimentInfo info;
  info.resolved = ex;
  info.name = ex.value("name", "experiment");
  info.task = ex.value("task", info.name);
  info.description = ex.value("description", "");
  info.metricsShown = ex["stats"].value("metrics", std::vector<std::string>{"sensitivity", "ppv"});
  info.refArm = ex["stats"].value("reference_arm", "");
  info.testName = ex["stats"].value("test", "two_level");
  info.planHalfWidth = ex["stats"].value("plan_half_width", info.planHalfWidth);
  info.paired.bootstrapResamples = ex["stats"].value("bootstrap", 10000);
  info.paired.seed = ex["stats"].value("seed", uint64_t{12345});
  info.paired.ciLevel = ex["stats"].value("ci_level", 0.95);
  info.paired.validate("'" + (expDir / "experiment.json").string() + "': stats.");
  info.interval = ex["stats"].value("interval", "se");
  info.volumeBins = ex["stats"].value("volume_bins_mm3", info.volumeBins);
  info.frocMaxFp = ex["stats"].value("froc_max_fp", info.frocMaxFp);
  for (const auto& a : ex["arms"]) {
    const std::string name = a.value("name", "");
    info.arms.push_back(name);
    info.initOf[name] = a.value("init", "scratch");
    info.refOf[name] = a.value("compare_to", info.refArm);
    if (info.refOf[name].empty()) info.refOf[name] = info.refArm;
  }
  return info;
}

const std::vector<std::string>& allMetricColumns() {
  static const std::vector<std::string> cols = {"n_truth", "n_pred", "tp_truth", "tp_pred", "sensitivity", "ppv", "f1",
                                                "dice", "truth_volume_mm3", "pred_volume_mm3", "fp_lesions", "fp_volume_mm3", "lesion_ap"};
  return cols;
}

std::vector<RunMeta> runMetas(const std::vector<fs::path>& runDirs) {
  std::vector<RunMeta> out;
  for (const auto& rd : runDirs) {
    const auto j = parseJsonFile(rd / "run.json");
    RunMeta m;
    m.dir = rd;
    m.id = j.value("id", rd.filename().string());
    m.arm = j.value("arm", "");
    m.size = j.value("train_size", 0);
    m.repeat = j.value("repeat", 0);
    if (j.contains("infer") && j["infer"].is_object()) m.threshold = j["infer"].value("threshold", 0.5);
    out.push_back(m);
  }
  return out;
}

std::vector<Row> loadRuns(const std::vector<RunMeta>& runs, int* nRuns) {
  std::vector<Row> rows;
  for (const auto& meta : runs) {
    const fs::path& rd = meta.dir;
    CsvTable t = readCsv(rd / "per_study.csv");
    ++*nRuns;
    if (t.column("subject") < 0) throw InputError("'" + (rd / "per_study.csv").string() + "': no 'subject' column");
    for (const auto& r : t.rows) {
      Row row;
      row.run = meta.id;
      row.arm = meta.arm;
      row.size = meta.size;
      row.repeat = meta.repeat;
      row.subject = r[static_cast<size_t>(t.column("subject"))];
      row.session = t.column("session") >= 0 ? r[static_cast<size_t>(t.column("session"))] : "";
      for (const auto& c : allMetricColumns())
        if (t.column(c) >= 0) row.m[c] = num(r[static_cast<size_t>(t.column(c))]);
      rows.push_back(row);
    }
  }
  return rows;
}

std::vector<fs::path> plannedRunDirs(const fs::path& expDir, const std::string& kind, const std::vector<std::string>& ids,
                                     bool havePlan, ReportResult& res) {
  const fs::path dir = expDir / kind;
  std::vector<fs::path> out;
  std::set<std::string> planned(ids.begin(), ids.end());
  if (!havePlan) {  // results written before plan.json existed: every complete run
    if (fs::is_directory(dir))
      for (const auto& e : fs::directory_iterator(dir))
        if (e.is_directory() && runComplete(e.path())) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
  }
  for (const auto& id : ids) {
    std::string why;
    if (runComplete(dir / id, &why)) out.push_back(dir / id);
    else res.missing.push_back(kind + "/" + id + " (" + why + ")");
  }
  if (fs::is_directory(dir))
    for (const auto& e : fs::directory_iterator(dir))
      if (e.is_directory() && !planned.count(e.path().filename().string())) ++res.stale;
  std::sort(out.begin(), out.end());
  return out;
}

bool runComplete(const fs::path& runDir, std::string* why) {
  auto fail = [&](const std::string& w) {
    if (why) *why = w;
    return false;
  };
  const fs::path runJson = runDir / "run.json", perStudy = runDir / "per_study.csv";
  if (!fs::exists(runJson)) return fail(fs::exists(runDir) ? "unfinished: no run.json" : "not started");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(readText(runJson));
  } catch (const std::exception&) {
    return fail("'" + runJson.string() + "' is not valid JSON");
  }
  if (!j.is_object() || j.value("status", "") != "done") return fail("'" + runJson.string() + "': status is not 'done'");
  if (!fs::exists(perStudy)) return fail("'" + perStudy.string() + "' is missing");
  const std::string text = readText(perStudy);
  if (j.contains("per_study_hash") && j["per_study_hash"] != perStudyHash(text))
    return fail("'" + perStudy.string() + "' does not match the hash in run.json (altered or truncated)");
  return true;
}

std::string perStudyHash(const std::string& csvText) { return Hasher().str(csvText).hex(); }

PlannedRuns readPlan(const fs::path& expDir) {
  PlannedRuns p;
  const fs::path f = expDir / "plan.json";
  if (!fs::exists(f)) return p;
  auto j = parseJsonFile(f);
  p.present = true;
  p.runs = j.value("runs", std::vector<std::string>{});
  p.sources = j.value("sources", std::vector<std::string>{});
  return p;
}

std::vector<fs::path> findExperiments(const fs::path& results) {
  std::vector<fs::path> out;
  if (fs::exists(results / "experiment.json")) return {results};
  if (!fs::is_directory(results)) return out;
  for (const auto& e : fs::directory_iterator(results))
    if (e.is_directory() && fs::exists(e.path() / "experiment.json")) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace mst::report
