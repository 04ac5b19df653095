#include "lib/report/Report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>

#include "lib/core/Csv.h"
#include "lib/core/Error.h"
#include "lib/core/Fs.h"
#include "lib/core/Hash.h"
#include "lib/core/Log.h"
#include "lib/stats/Paired.h"

namespace mst::report {

namespace fs = std::filesystem;

std::string meanSe(double mean, double se, bool haveSe) {
  if (!std::isfinite(mean)) return "n/a";
  char buf[64];
  if (haveSe && std::isfinite(se)) std::snprintf(buf, sizeof buf, "%.2f ± %.2f", mean, se);
  else std::snprintf(buf, sizeof buf, "%.2f", mean);
  return buf;
}

std::string formatP(double p) {
  if (!std::isfinite(p)) return "p = n/a";
  if (p < 0.001) return "p < 0.001";
  char buf[32];
  std::snprintf(buf, sizeof buf, "p = %.3f", p);
  return buf;
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

namespace {

struct Row {  // one study of one run
  std::string run, arm, subject, session;
  int size = 0, repeat = 0;
  std::map<std::string, std::optional<double>> m;
};

std::optional<double> num(const std::string& s) {
  if (s.empty()) return std::nullopt;
  return std::strtod(s.c_str(), nullptr);
}

nlohmann::json parseJsonFile(const fs::path& file) {
  try {
    return nlohmann::json::parse(readText(file));
  } catch (const nlohmann::json::exception& e) {
    throw InputError("'" + file.string() + "': not valid JSON (" + std::string(e.what()).substr(0, 160) +
                     "); delete the run folder's run.json to redo that run");
  }
}

// Rows of the given run folders, all of which must be complete.
std::vector<Row> loadRuns(const std::vector<fs::path>& runDirs, const std::vector<std::string>& metricCols, int* nRuns) {
  std::vector<Row> rows;
  for (const auto& rd : runDirs) {
    auto j = parseJsonFile(rd / "run.json");
    CsvTable t = readCsv(rd / "per_study.csv");
    ++*nRuns;
    if (t.column("subject") < 0) throw InputError("'" + (rd / "per_study.csv").string() + "': no 'subject' column");
    for (const auto& r : t.rows) {
      Row row;
      row.run = j.value("id", rd.filename().string());
      row.arm = j.value("arm", "");
      row.size = j.value("train_size", 0);
      row.repeat = j.value("repeat", 0);
      row.subject = r[static_cast<size_t>(t.column("subject"))];
      row.session = t.column("session") >= 0 ? r[static_cast<size_t>(t.column("session"))] : "";
      for (const auto& c : metricCols)
        if (t.column(c) >= 0) row.m[c] = num(r[static_cast<size_t>(t.column(c))]);
      rows.push_back(row);
    }
  }
  return rows;
}

// The run folders the report reads: exactly the planned ones (plan.json), every one complete.
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

}  // namespace

fs::path figureScript() {
  // An installed or copied binary finds the script beside itself (PREFIX/bin -> PREFIX/share/mstransfer),
  // or through MST_DATA_DIR; a build tree uses its source tree.
  std::vector<fs::path> candidates;
  if (const char* d = std::getenv("MST_DATA_DIR")) candidates.push_back(fs::path(d) / "plot_results.py");
  std::error_code ec;
  const fs::path exe = fs::canonical("/proc/self/exe", ec);
  if (!ec) {
    candidates.push_back(exe.parent_path() / ".." / "share" / "mstransfer" / "plot_results.py");
    candidates.push_back(exe.parent_path() / "plot_results.py");
  }
  candidates.push_back(fs::path(MST_SOURCE_DIR) / "analysis" / "plot_results.py");
  for (const auto& c : candidates)
    if (fs::exists(c)) return c.lexically_normal();
  return candidates.back();
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

namespace {

std::string fmt(double v) {
  if (!std::isfinite(v)) return "";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

ReportResult buildReport(const fs::path& expDir) {
  if (!fs::exists(expDir / "experiment.json"))
    throw InputError("'" + expDir.string() + "': no experiment.json (not an mstransfer results folder)");
  auto ex = parseJsonFile(expDir / "experiment.json");
  const std::string task = ex.value("task", ex.value("name", "experiment"));
  std::vector<std::string> metricsShown = ex["stats"].value("metrics", std::vector<std::string>{"sensitivity", "ppv"});
  const std::string refArm = ex["stats"].value("reference_arm", "");
  const std::string testName = ex["stats"].value("test", "wilcoxon");
  stats::PairedOptions po;
  po.bootstrapResamples = ex["stats"].value("bootstrap", 10000);
  po.seed = ex["stats"].value("seed", uint64_t{12345});
  po.ciLevel = ex["stats"].value("ci_level", 0.95);
  po.validate("'" + (expDir / "experiment.json").string() + "': stats.");
  std::vector<std::string> arms;
  std::map<std::string, std::string> refOf;  // arm -> the arm it is compared against (itself: none)
  for (const auto& a : ex["arms"]) {
    arms.push_back(a.value("name", ""));
    refOf[arms.back()] = a.value("compare_to", refArm);
    if (refOf[arms.back()].empty()) refOf[arms.back()] = refArm;
  }
  const std::vector<std::string> allCols = {"n_truth", "n_pred", "tp_truth", "tp_pred", "sensitivity", "ppv", "f1",
                                            "dice", "truth_volume_mm3", "pred_volume_mm3", "fp_lesions", "fp_volume_mm3"};
  ReportResult res;
  const PlannedRuns plan = readPlan(expDir);
  const auto runDirs = plannedRunDirs(expDir, "runs", plan.runs, plan.present, res);
  const auto sourceDirs = plannedRunDirs(expDir, "sources", plan.sources, plan.present, res);
  if (!res.missing.empty()) {
    std::string list;
    for (size_t i = 0; i < res.missing.size() && i < 12; ++i) list += "\n  " + res.missing[i];
    if (res.missing.size() > 12) list += "\n  ... and " + std::to_string(res.missing.size() - 12) + " more";
    throw IncompleteError("'" + expDir.string() + "': " + std::to_string(res.missing.size()) +
                          " planned run(s) have no complete results; nothing was written. Run the experiment again "
                          "(completed runs are kept) to finish them:" + list);
  }
  std::vector<Row> rows = loadRuns(runDirs, allCols, &res.runs);

  // per_study.csv
  {
    std::vector<std::string> h = {"task", "run", "arm", "train_size", "repeat", "subject", "session"};
    h.insert(h.end(), allCols.begin(), allCols.end());
    std::string out = csvLine(h);
    for (const auto& r : rows) {
      std::vector<std::string> c = {task, r.run, r.arm, std::to_string(r.size), std::to_string(r.repeat), r.subject, r.session};
      for (const auto& m : allCols) c.push_back(r.m.count(m) && r.m.at(m) ? fmt(*r.m.at(m)) : "");
      out += csvLine(c);
    }
    writeTextAtomic(expDir / "per_study.csv", out);
    res.files.push_back(expDir / "per_study.csv");
  }
  std::set<int> sizes;
  for (const auto& r : rows) sizes.insert(r.size);
  // Per (arm, size): per-study means over repeats.
  auto perStudy = [&](const std::string& arm, int size, const std::string& metric) {
    std::map<std::string, std::pair<double, int>> acc;
    for (const auto& r : rows)
      if (r.arm == arm && r.size == size && r.m.count(metric) && r.m.at(metric)) {
        auto& a = acc[r.subject + "/" + r.session];
        a.first += *r.m.at(metric);
        a.second += 1;
      }
    std::map<std::string, double> out;
    for (const auto& [k, v] : acc) out[k] = v.first / v.second;
    return out;
  };
  // summary.csv
  struct Cell {
    double mean = NAN, se = NAN;
    int64_t n = 0;
  };
  std::map<std::tuple<std::string, int, std::string>, Cell> pooled;
  {
    std::string out = csvLine({"task", "train_size", "arm", "repeat", "metric", "mean", "se", "n"});
    for (const auto& arm : arms)
      for (int size : sizes)
        for (const auto& metric : allCols) {
          std::set<int> reps;
          for (const auto& r : rows)
            if (r.arm == arm && r.size == size) reps.insert(r.repeat);
          for (int rep : reps) {
            std::vector<double> v;
            for (const auto& r : rows)
              if (r.arm == arm && r.size == size && r.repeat == rep && r.m.count(metric) && r.m.at(metric))
                v.push_back(*r.m.at(metric));
            auto s = stats::summarize(v);
            out += csvLine({task, std::to_string(size), arm, std::to_string(rep), metric, fmt(s.mean.value_or(NAN)),
                            fmt(s.se.value_or(NAN)), std::to_string(s.n)});
          }
          std::vector<double> v;
          for (const auto& [k, x] : perStudy(arm, size, metric)) v.push_back(x);
          auto s = stats::summarize(v);
          pooled[{arm, size, metric}] = {s.mean.value_or(NAN), s.se.value_or(NAN), s.n};
          if (!reps.empty())
            out += csvLine({task, std::to_string(size), arm, "all", metric, fmt(s.mean.value_or(NAN)),
                            fmt(s.se.value_or(NAN)), std::to_string(s.n)});
        }
    writeTextAtomic(expDir / "summary.csv", out);
    res.files.push_back(expDir / "summary.csv");
  }
  // comparisons.csv with Holm over the family (all sizes x arms, per metric and test).
  struct Cmp {
    std::string ref, arm, metric;
    int size;
    stats::PairedResult r;
    double holmT = NAN, holmW = NAN;
  };
  std::vector<Cmp> cmps;
  for (const auto& metric : allCols) {
    if (std::find(metricsShown.begin(), metricsShown.end(), metric) == metricsShown.end() && metric != "f1" &&
        metric != "dice")
      continue;
    std::vector<size_t> idx;
    for (int size : sizes)
      for (const auto& arm : arms) {
        const std::string& ref = refOf[arm];
        if (arm == ref) continue;
        auto a = perStudy(ref, size, metric), b = perStudy(arm, size, metric);
        std::vector<std::optional<double>> va, vb;
        std::set<std::string> keys;
        for (const auto& [k, v] : a) keys.insert(k);
        for (const auto& [k, v] : b) keys.insert(k);
        for (const auto& k : keys) {
          va.push_back(a.count(k) ? std::optional<double>(a[k]) : std::nullopt);
          vb.push_back(b.count(k) ? std::optional<double>(b[k]) : std::nullopt);
        }
        if (keys.empty()) continue;
        idx.push_back(cmps.size());
        cmps.push_back({ref, arm, metric, size, stats::comparePaired(va, vb, po)});
      }
    std::vector<double> pt, pw;
    std::vector<size_t> it, iw;
    for (size_t i : idx) {
      if (cmps[i].r.t.p) {
        pt.push_back(*cmps[i].r.t.p);
        it.push_back(i);
      }
      if (cmps[i].r.w.p) {
        pw.push_back(*cmps[i].r.w.p);
        iw.push_back(i);
      }
    }
    auto ht = stats::holm(pt), hw = stats::holm(pw);
    for (size_t k = 0; k < it.size(); ++k) cmps[it[k]].holmT = ht[k];
    for (size_t k = 0; k < iw.size(); ++k) cmps[iw[k]].holmW = hw[k];
  }
  {
    std::string out = csvLine({"task", "train_size", "metric", "arm_a", "arm_b", "n_pairs", "n_dropped", "mean_a", "se_a",
                               "mean_b", "se_b", "mean_diff", "ci_low", "ci_high", "t_p", "t_p_holm", "wilcoxon_p",
                               "wilcoxon_p_holm", "wilcoxon_method", "cohen_dz"});
    for (const auto& c : cmps)
      out += csvLine({task, std::to_string(c.size), c.metric, c.ref, c.arm, std::to_string(c.r.nPairs),
                      std::to_string(c.r.nDropped), fmt(c.r.a.mean.value_or(NAN)), fmt(c.r.a.se.value_or(NAN)),
                      fmt(c.r.b.mean.value_or(NAN)), fmt(c.r.b.se.value_or(NAN)), fmt(c.r.meanDiff.value_or(NAN)),
                      fmt(c.r.ci.low.value_or(NAN)), fmt(c.r.ci.high.value_or(NAN)), fmt(c.r.t.p.value_or(NAN)),
                      fmt(c.holmT), fmt(c.r.w.p.value_or(NAN)), fmt(c.holmW), c.r.w.method,
                      fmt(c.r.cohenDz.value_or(NAN))});
    writeTextAtomic(expDir / "comparisons.csv", out);
    res.files.push_back(expDir / "comparisons.csv");
  }
  // Tables like the study's: one row per training size, mean ± SE per arm and metric,
  // p-values (reference arm vs that arm, unadjusted; Holm-adjusted in comparisons.csv) beside the other arms.
  auto pOf = [&](const std::string& arm, int size, const std::string& metric) {
    for (const auto& c : cmps)
      if (c.arm == arm && c.size == size && c.metric == metric)
        return testName == "t" ? c.r.t.p.value_or(NAN) : c.r.w.p.value_or(NAN);
    return static_cast<double>(NAN);
  };
  std::vector<std::string> header = {"n train"};
  for (const auto& metric : metricsShown)
    for (const auto& arm : arms) header.push_back(arm + " " + metric);
  std::vector<std::vector<std::string>> table;
  for (int size : sizes) {
    std::vector<std::string> line = {std::to_string(size)};
    for (const auto& metric : metricsShown)
      for (const auto& arm : arms) {
        const Cell& c = pooled[{arm, size, metric}];
        std::string cell = meanSe(c.mean, c.se, c.n >= 2);
        if (arm != refOf[arm] && c.n > 0) cell += " (" + formatP(pOf(arm, size, metric)) + ")";
        line.push_back(cell);
      }
    table.push_back(line);
  }
  {
    std::string md = "| " + header[0];
    for (size_t i = 1; i < header.size(); ++i) md += " | " + header[i];
    md += " |\n|";
    for (size_t i = 0; i < header.size(); ++i) md += i ? "---|" : "---:|";
    md += "\n";
    for (const auto& l : table) {
      md += "|";
      for (const auto& c : l) md += " " + c + " |";
      md += "\n";
    }
    std::string against = "against " + refArm;
    for (const auto& arm : arms)
      if (refOf[arm] != refArm && refOf[arm] != arm) against += "; " + arm + " against " + refOf[arm];
    const std::string note = "Mean ± SE over test studies (per-study values averaged over repeats); " +
                             std::string(testName == "t" ? "paired t-test" : "Wilcoxon signed-rank") +
                             " p-values of each arm " + against + ", unadjusted (Holm-adjusted in comparisons.csv).";
    writeTextAtomic(expDir / "table.md", "**" + task + "**\n\n" + md + "\n" + note + "\n");
    std::string csv = csvLine(header);
    for (const auto& l : table) csv += csvLine(l);
    writeTextAtomic(expDir / "table.csv", csv);
    auto texEscape = [](std::string s) {
      std::string o;
      for (char c : s) {
        if (c == '_' || c == '%' || c == '&' || c == '#') o += '\\';
        o += c;
      }
      size_t p;
      while ((p = o.find("±")) != std::string::npos) o.replace(p, std::string("±").size(), "$\\pm$");
      while ((p = o.find("<")) != std::string::npos) o.replace(p, 1, "$<$");
      return o;
    };
    std::string tex = "% " + task + ": " + note + "\n\\begin{tabular}{r" + std::string(header.size() - 1, 'l') +
                      "}\n\\hline\n";
    for (size_t i = 0; i < header.size(); ++i) tex += (i ? " & " : "") + texEscape(header[i]);
    tex += " \\\\\n\\hline\n";
    for (const auto& l : table) {
      for (size_t i = 0; i < l.size(); ++i) tex += (i ? " & " : "") + texEscape(l[i]);
      tex += " \\\\\n";
    }
    tex += "\\hline\n\\end{tabular}\n";
    writeTextAtomic(expDir / "table.tex", tex);
    res.files.insert(res.files.end(), {expDir / "table.md", expDir / "table.csv", expDir / "table.tex"});
  }
  // Source models on their held-out studies.
  std::string srcMd;
  {
    int n = 0;
    std::vector<Row> src = loadRuns(sourceDirs, allCols, &n);
    std::string out = csvLine({"task", "source_run", "metric", "mean", "se", "n"});
    std::set<std::string> ids;
    for (const auto& r : src) ids.insert(r.run);
    for (const auto& id : ids) {
      srcMd += "- " + id + ":";
      for (const auto& metric : {"sensitivity", "ppv", "f1", "dice"}) {
        std::vector<double> v;
        for (const auto& r : src)
          if (r.run == id && r.m.count(metric) && r.m.at(metric)) v.push_back(*r.m.at(metric));
        auto s = stats::summarize(v);
        out += csvLine({task, id, metric, fmt(s.mean.value_or(NAN)), fmt(s.se.value_or(NAN)), std::to_string(s.n)});
        srcMd += std::string(" ") + metric + " " + meanSe(s.mean.value_or(NAN), s.se.value_or(NAN), s.n >= 2);
      }
      srcMd += " (held-out source studies)\n";
    }
    writeTextAtomic(expDir / "sources.csv", out);
  }
  // Figure, through the analysis script (matplotlib).
  {
    const fs::path script = figureScript();
    const std::string py = fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
    if (fs::exists(script) && !rows.empty()) {
      const std::string cmd = py + " '" + script.string() + "' '" + expDir.string() + "' >/dev/null 2>&1";
      res.figure = std::system(cmd.c_str()) == 0 && fs::exists(expDir / "figure.png");
      if (!res.figure) log::warn(expDir.string(), ": figure not made (needs python3-matplotlib: make deps)");
    }
  }
  // report.md
  {
    std::ostringstream md;
    md << "# " << task << "\n\n" << ex.value("description", "") << "\n\n";
    md << readText(expDir / "table.md") << "\n";
    if (!srcMd.empty()) md << "## Source models\n\n" << srcMd << "\n";
    if (res.figure) md << "![sensitivity and PPV against training-set size](figure.png)\n\n";
    md << "## Provenance\n\n- runs: " << res.runs << " (the current plan"
       << (res.stale ? "; " + std::to_string(res.stale) + " stale run folder(s) of earlier settings ignored" : std::string())
       << ")\n- definition: experiment.json (resolved configuration)\n"
       << "- each run: runs/<id>/run.json (configuration, seeds, git commit, library versions, timings)\n";
    writeTextAtomic(expDir / "report.md", md.str());
  }
  return res;
}

}  // namespace mst::report
