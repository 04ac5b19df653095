// table.md / table.csv / table.tex laid out like the study, and sources.csv.
#include <algorithm>
#include <cstdio>

#include "lib/core/Csv.h"
#include "lib/core/Fs.h"
#include "lib/report/ReportParts.h"
#include "lib/stats/Stats.h"

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

namespace {

using Table = std::vector<std::vector<std::string>>;

std::string texEscape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '_' || c == '%' || c == '&' || c == '#') o += '\\';
    o += c;
  }
  size_t p;
  while ((p = o.find("±")) != std::string::npos) o.replace(p, std::string("±").size(), "$\\pm$");
  while ((p = o.find("<")) != std::string::npos) o.replace(p, 1, "$<$");
  while ((p = o.find("†")) != std::string::npos) o.replace(p, std::string("†").size(), "$^\\dagger$");
  while ((p = o.find("‡")) != std::string::npos) o.replace(p, std::string("‡").size(), "$^\\ddagger$");
  return o;
}

std::string markdown(const std::vector<std::string>& header, const Table& table) {
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
  return md;
}

std::string latex(const std::string& comment, const std::vector<std::string>& header, const Table& table) {
  std::string tex = "% " + comment + "\n\\begin{tabular}{r" + std::string(header.size() - 1, 'l') + "}\n\\hline\n";
  for (size_t i = 0; i < header.size(); ++i) tex += (i ? " & " : "") + texEscape(header[i]);
  tex += " \\\\\n\\hline\n";
  for (const auto& l : table) {
    for (size_t i = 0; i < l.size(); ++i) tex += (i ? " & " : "") + texEscape(l[i]);
    tex += " \\\\\n";
  }
  return tex + "\\hline\n\\end{tabular}\n";
}

// The note under the table: what the numbers and p-values are.
std::string tableNote(const ExperimentInfo& info) {
  std::string against = "against " + info.refArm;
  for (const auto& arm : info.arms)
    if (info.refOf.at(arm) != info.refArm && info.refOf.at(arm) != arm)
      against += "; " + arm + " against " + info.refOf.at(arm);
  return "Mean ± SE over test studies (per-study values averaged over repeats); " +
         std::string(info.testName == "t" ? "paired t-test" : "Wilcoxon signed-rank") + " p-values of each arm " +
         against + ", unadjusted (Holm-adjusted in comparisons.csv).";
}

}  // namespace

void writeTables(const fs::path& expDir, const ExperimentInfo& info, const std::set<int>& sizes, const Pooled& pooled,
                 const std::vector<Comparison>& cmps, const CellFlags& flags) {
  // p-values: reference arm vs that arm, unadjusted (Holm-adjusted in comparisons.csv).
  auto pOf = [&](const std::string& arm, int size, const std::string& metric) {
    for (const auto& c : cmps)
      if (c.arm == arm && c.size == size && c.metric == metric)
        return info.testName == "t" ? c.r.t.p.value_or(NAN) : c.r.w.p.value_or(NAN);
    return static_cast<double>(NAN);
  };
  std::vector<std::string> header = {"n train", "n test"};
  for (const auto& metric : info.metricsShown)
    for (const auto& arm : info.arms) header.push_back(arm + " " + metric);
  Table table;
  bool anyCap = false, anyNever = false, anyFixed = false, anyFew = false;
  for (int size : sizes) {
    int64_t nRow = 0;
    for (const auto& [k, c] : pooled)
      if (std::get<1>(k) == size) nRow = std::max(nRow, c.n);
    std::vector<std::string> line = {std::to_string(size), std::to_string(nRow)};
    for (const auto& metric : info.metricsShown)
      for (const auto& arm : info.arms) {
        auto it = pooled.find({arm, size, metric});
        const Cell c = it == pooled.end() ? Cell{} : it->second;
        // Fewer than 3 studies: the mean and its n, no SE and no p.
        std::string cell = meanSe(c.mean, c.se, c.n >= 3);
        if (c.n > 0 && c.n < 3) anyFew = true;
        if (c.n != nRow && c.n > 0) cell += " (n = " + std::to_string(c.n) + ")";
        if (arm != info.refOf.at(arm) && c.n >= 3) cell += " (" + formatP(pOf(arm, size, metric)) + ")";
        const auto f = flags.find({arm, size});
        if (f != flags.end()) {
          if (f->second.cap) cell += " †";
          if (f->second.neverLearned) cell += " ‡";
          anyCap |= f->second.cap;
          anyNever |= f->second.neverLearned;
          anyFixed |= f->second.fixedBudget;
        }
        line.push_back(cell);
      }
    table.push_back(line);
  }
  std::string note = tableNote(info);
  if (anyFew) note += " Cells on fewer than 3 studies show their n and no SE or p.";
  if (anyCap) note += " † at least one run of the cell reached the iteration cap while still improving on validation: not converged.";
  if (anyNever) note += " ‡ at least one run of the cell never rose above its starting validation level: not a trained model.";
  if (anyFixed) note += " Runs trained a fixed number of iterations without early stopping: convergence was not checked.";
  writeTextAtomic(expDir / "table.md", "**" + info.task + "**\n\n" + markdown(header, table) + "\n" + note + "\n");
  std::string csv = csvLine(header);
  for (const auto& l : table) csv += csvLine(l);
  writeTextAtomic(expDir / "table.csv", csv);
  writeTextAtomic(expDir / "table.tex", latex(info.task + ": " + note, header, table));
}

std::string writeSources(const fs::path& expDir, const std::string& task, const std::vector<fs::path>& sourceDirs) {
  int n = 0;
  std::vector<Row> src = loadRuns(sourceDirs, &n);
  std::string out = csvLine({"task", "source_run", "metric", "mean", "se", "n"}), md;
  std::set<std::string> ids;
  for (const auto& r : src) ids.insert(r.run);
  for (const auto& id : ids) {
    md += "- " + id + ":";
    for (const auto& metric : {"sensitivity", "ppv", "f1", "dice"}) {
      std::vector<double> v;
      for (const auto& r : src)
        if (r.run == id && r.m.count(metric) && r.m.at(metric)) v.push_back(*r.m.at(metric));
      auto s = stats::summarize(v);
      out += csvLine({task, id, metric, fmt(s.mean.value_or(NAN)), fmt(s.se.value_or(NAN)), std::to_string(s.n)});
      md += std::string(" ") + metric + " " + meanSe(s.mean.value_or(NAN), s.se.value_or(NAN), s.n >= 2);
    }
    md += " (held-out source studies)\n";
  }
  writeTextAtomic(expDir / "sources.csv", out);
  return md;
}

}  // namespace mst::report
