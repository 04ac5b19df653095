// What each comparison rests on: how long every run trained, why it stopped,
// and its evaluations along the way (budget.csv, training.csv, the training
// table of report.md and the flags of table.md).
#include <algorithm>
#include <cstdio>

#include "lib/core/Csv.h"
#include "lib/core/Fs.h"
#include "lib/report/ReportParts.h"

namespace mst::report {

namespace fs = std::filesystem;

std::vector<RunTraining> loadTraining(const std::vector<fs::path>& runDirs) {
  std::vector<RunTraining> out;
  for (const auto& rd : runDirs) {
    const auto j = parseJsonFile(rd / "run.json");
    RunTraining t;
    t.dir = rd;
    t.id = j.value("id", rd.filename().string());
    t.kind = j.value("kind", "sweep");
    t.arm = j.value("arm", "");
    t.size = j.value("train_size", 0);
    t.repeat = j.value("repeat", 0);
    const auto tr = j.value("train_result", nlohmann::json::object());
    if (tr.is_object()) {
      t.iterations = tr.value("iterations", int64_t{0});
      t.maxIterations = tr.value("max_iterations", t.iterations);
      t.bestIteration = tr.value("best_iteration", int64_t{0});
      t.stopReason = tr.value("stop_reason", "budget");
      t.valMetric = tr.value("val_metric", "f1");
      t.trainSeconds = tr.value("train_seconds", j.value("timings_s", nlohmann::json::object()).value("train", 0.0));
      if (tr.contains("best_val") && tr["best_val"].is_number()) t.bestVal = tr["best_val"].get<double>();
    }
    if (t.kind == "source") t.size = static_cast<int>(j.value("config", nlohmann::json::object())
                                                           .value("train_ids", nlohmann::json::array())
                                                           .size());
    out.push_back(t);
  }
  return out;
}

CellFlags cellFlags(const std::vector<RunTraining>& runs) {
  CellFlags f;
  for (const auto& r : runs) {
    if (r.kind != "sweep") continue;
    auto& flag = f[{r.arm, r.size}];
    if (r.stopReason == "cap") flag.cap = true;
    if (r.stopReason == "never_learned") flag.neverLearned = true;
    if (r.stopReason == "budget") flag.fixedBudget = true;
  }
  return f;
}

void writeBudget(const fs::path& expDir, const std::string& experiment, const std::vector<RunTraining>& runs) {
  std::string out = csvLine({"experiment", "arm", "train_size", "repeat", "iteration", "split", "metric", "value"});
  std::string tr = csvLine({"experiment", "run", "kind", "arm", "train_size", "repeat", "stop_reason", "iterations",
                            "max_iterations", "best_iteration", "val_metric", "best_val", "train_seconds"});
  for (const auto& r : runs) {
    const std::string arm = r.kind == "source" ? "source:" + r.arm : r.arm;
    tr += csvLine({experiment, r.id, r.kind, arm, std::to_string(r.size), std::to_string(r.repeat), r.stopReason,
                   std::to_string(r.iterations), std::to_string(r.maxIterations), std::to_string(r.bestIteration),
                   r.valMetric, fmt(r.bestVal), fmt(r.trainSeconds)});
    const fs::path curve = r.dir / "curve.csv";
    if (!fs::exists(curve)) continue;
    const CsvTable t = readCsv(curve);
    for (const auto& row : t.rows)
      out += csvLine({experiment, arm, std::to_string(r.size), std::to_string(r.repeat), row.at(0), row.at(1), row.at(2),
                      row.at(3)});
  }
  writeTextAtomic(expDir / "budget.csv", out);
  writeTextAtomic(expDir / "training.csv", tr);
}

namespace {

std::string minutes(double s) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f", s / 60.0);
  return b;
}

// "median (min-max)" of a list of integers.
std::string medianRange(std::vector<int64_t> v) {
  if (v.empty()) return "n/a";
  std::sort(v.begin(), v.end());
  const int64_t med = v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  if (v.front() == v.back()) return std::to_string(med);
  return std::to_string(med) + " (" + std::to_string(v.front()) + "–" + std::to_string(v.back()) + ")";
}

}  // namespace

std::string trainingMarkdown(const ExperimentInfo& info, const std::vector<RunTraining>& runs,
                             const std::vector<RunTraining>& sources) {
  std::string md = "| n train | arm | runs | stopped | iterations to best | iterations run | train min / run |\n"
                   "|---:|---|---:|---|---|---|---:|\n";
  std::set<int> sizes;
  for (const auto& r : runs) sizes.insert(r.size);
  for (int size : sizes)
    for (const auto& arm : info.arms) {
      std::vector<int64_t> best, its;
      std::map<std::string, int> reasons;
      double secs = 0;
      int n = 0;
      for (const auto& r : runs)
        if (r.arm == arm && r.size == size) {
          best.push_back(r.bestIteration);
          its.push_back(r.iterations);
          ++reasons[r.stopReason];
          secs += r.trainSeconds;
          ++n;
        }
      if (!n) continue;
      std::string stopped;
      for (const auto& [k, c] : reasons) stopped += (stopped.empty() ? "" : ", ") + std::to_string(c) + " " + k;
      md += "| " + std::to_string(size) + " | " + arm + " | " + std::to_string(n) + " | " + stopped + " | " +
            medianRange(best) + " | " + medianRange(its) + " | " + minutes(secs / n) + " |\n";
    }
  for (const auto& s : sources)
    md += "\nSource model " + s.id + " (pretraining of the fine-tuned arms, paid once and shared): " +
          std::to_string(s.size) + " source studies, " + std::to_string(s.iterations) + " iterations (" + s.stopReason +
          ", best at " + std::to_string(s.bestIteration) + "), " + minutes(s.trainSeconds) + " min.\n";
  md += "\nStop reasons: plateau = the validation " + (runs.empty() ? std::string("metric") : runs.front().valMetric) +
        " stopped improving (converged); cap = the iteration cap came first while it was still improving; "
        "never_learned = it never rose above its starting level; budget = a fixed number of iterations without early "
        "stopping (convergence not checked). Budget curves: budget.csv (validation and, where recorded, test metrics "
        "at every evaluation) and budget.png.\n";
  return md;
}

}  // namespace mst::report
