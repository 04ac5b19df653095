// table.md / table.csv / table.tex laid out like the study, and sources.csv.
#include <algorithm>
#include <cctype>
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

// LaTeX text: the ten special characters escaped, and the report's Unicode signs as math.
std::string texEscape(const std::string& s) {
  static const std::vector<std::pair<std::string, std::string>> kSigns = {
      {"±", "$\\pm$"}, {"†", "$^\\dagger$"}, {"‡", "$^\\ddagger$"}, {"≥", "$\\geq$"}, {"≤", "$\\leq$"},
      {"–", "--"},     {"—", "---"},        {"×", "$\\times$"},     {"³", "$^3$"},    {"σ", "$\\sigma$"}};
  std::string o;
  for (size_t i = 0; i < s.size();) {
    bool sign = false;
    for (const auto& [u, tex] : kSigns)
      if (s.compare(i, u.size(), u) == 0) {
        o += tex;
        i += u.size();
        sign = true;
        break;
      }
    if (sign) continue;
    const char c = s[i++];
    switch (c) {
      case '\\': o += "\\textbackslash{}"; break;
      case '^': o += "\\textasciicircum{}"; break;
      case '~': o += "\\textasciitilde{}"; break;
      case '<': o += "$<$"; break;
      case '>': o += "$>$"; break;
      case '_': case '%': case '&': case '#': case '$': case '{': case '}': o += '\\'; o += c; break;
      default: o += c;
    }
  }
  return o;
}

// "tab:" and the experiment name with every character outside [A-Za-z0-9-] as '-'.
std::string texLabel(const std::string& name) {
  std::string l = "tab:";
  for (char c : name) l += std::isalnum(static_cast<unsigned char>(c)) || c == '-' ? c : '-';
  return l;
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

// A booktabs table float: metrics as spanning column groups over the arms, the note as caption.
std::string latex(const ExperimentInfo& info, const std::string& caption, const Table& table) {
  const size_t nArms = info.arms.size(), nCols = 2 + info.metricsShown.size() * nArms;
  std::string tex = "% mstransfer report: needs \\usepackage{booktabs} in the preamble.\n"
                    "\\begin{table}[htbp]\n\\centering\n\\caption{" + texEscape(caption) + "}\n\\label{" +
                    texLabel(info.name) + "}\n\\begin{tabular}{rr" + std::string(nCols - 2, 'l') + "}\n\\toprule\n";
  std::string groups = " & ", rules;
  for (size_t m = 0; m < info.metricsShown.size(); ++m) {
    const size_t first = 3 + m * nArms, last = first + nArms - 1;
    groups += " & \\multicolumn{" + std::to_string(nArms) + "}{c}{" + texEscape(info.metricsShown[m]) + "}";
    rules += "\\cmidrule(lr){" + std::to_string(first) + "-" + std::to_string(last) + "}";
  }
  tex += groups + " \\\\\n" + rules + "\n$n$ train & $n$ test";
  for (size_t m = 0; m < info.metricsShown.size(); ++m)
    for (const auto& arm : info.arms) tex += " & " + texEscape(arm);
  tex += " \\\\\n\\midrule\n";
  for (const auto& l : table) {
    for (size_t i = 0; i < l.size(); ++i) tex += (i ? " & " : "") + texEscape(l[i]);
    tex += " \\\\\n";
  }
  return tex + "\\bottomrule\n\\end{tabular}\n\\end{table}\n";
}

std::string percent(double level) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%g%%", 100.0 * level);
  return buf;
}

// The note under the table: what the numbers and p-values are.
std::string tableNote(const ExperimentInfo& info) {
  std::string against = "against " + info.refArm;
  for (const auto& arm : info.arms)
    if (info.refOf.at(arm) != info.refArm && info.refOf.at(arm) != arm)
      against += "; " + arm + " against " + info.refOf.at(arm);
  const std::string spread =
      info.interval == "ci" ? "Mean [" + percent(info.paired.ciLevel) +
                                  " CI: two-level bootstrap over runs and studies, t-based for one run]"
                            : "Mean ± SE";
  return spread + " over test studies (per-study values averaged over repeats); p-values of each arm " + against +
         " from the " + testLabel(info.testName) + ", unadjusted (Holm-adjusted in comparisons.csv and table.csv).";
}

// "0.55 ± 0.02" or "0.55 [0.50, 0.60]"; the mean alone without a spread.
std::string spreadText(const ExperimentInfo& info, const Cell& c, bool withSpread) {
  if (info.interval != "ci" || !withSpread || !std::isfinite(c.ciLow)) return meanSe(c.mean, c.se, withSpread);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f [%.2f, %.2f]", c.mean, c.ciLow, c.ciHigh);
  return buf;
}

const Comparison* findComparison(const std::vector<Comparison>& cmps, const std::string& arm, int size,
                                 const std::string& metric) {
  for (const auto& c : cmps)
    if (c.arm == arm && c.size == size && c.metric == metric) return &c;
  return nullptr;
}

std::string flagText(const CellFlags& flags, const std::string& arm, int size) {
  const auto f = flags.find({arm, size});
  if (f == flags.end()) return "";
  std::string t;
  for (const auto& [on, name] : {std::pair<bool, const char*>{f->second.cap, "cap"},
                                 {f->second.neverLearned, "never_learned"}, {f->second.fixedBudget, "fixed_budget"}})
    if (on) t += (t.empty() ? "" : ";") + std::string(name);
  return t;
}

// table.csv: one numeric row per cell (tidy), with the p-value shown in the tables and its Holm adjustment.
void writeTidyTable(const fs::path& expDir, const ExperimentInfo& info, const std::set<int>& sizes, const Pooled& pooled,
                    const std::vector<Comparison>& cmps, const CellFlags& flags) {
  std::string csv = csvLine({"task", "train_size", "arm", "metric", "n", "mean", "se", "sd", "ci_low", "ci_high",
                             "ci_level", "ci_method", "n_runs", "compared_to", "test", "p", "p_holm", "flags"});
  char level[16];
  std::snprintf(level, sizeof level, "%g", info.paired.ciLevel);
  for (int size : sizes)
    for (const auto& metric : info.metricsShown)
      for (const auto& arm : info.arms) {
        auto it = pooled.find({arm, size, metric});
        if (it == pooled.end() || it->second.n == 0) continue;
        const Cell& c = it->second;
        const Comparison* cmp = findComparison(cmps, arm, size, metric);
        const double p = cmp ? cmp->p(info.testName) : NAN;
        const double ph = cmp ? cmp->pHolm(info.testName) : NAN;
        csv += csvLine({info.task, std::to_string(size), arm, metric, std::to_string(c.n), fmt(c.mean), fmt(c.se),
                        fmt(c.sd), fmt(c.ciLow), fmt(c.ciHigh), level, c.ciMethod, std::to_string(c.runs),
                        cmp ? cmp->ref : "", cmp ? info.testName : "",
                        fmt(p), fmt(ph), flagText(flags, arm, size)});
      }
  writeTextAtomic(expDir / "table.csv", csv);
}

}  // namespace

void writeTables(const fs::path& expDir, const ExperimentInfo& info, const std::set<int>& sizes, const Pooled& pooled,
                 const std::vector<Comparison>& cmps, const CellFlags& flags) {
  // p-values: reference arm vs that arm, unadjusted (Holm-adjusted in comparisons.csv and table.csv).
  auto pOf = [&](const std::string& arm, int size, const std::string& metric) {
    const Comparison* c = findComparison(cmps, arm, size, metric);
    return c ? c->p(info.testName) : static_cast<double>(NAN);
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
        // Fewer than 3 studies: the mean and its n, no spread and no p.
        std::string cell = spreadText(info, c, c.n >= 3);
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
  if (anyFew) note += " Cells on fewer than 3 studies show their n and no " +
                      std::string(info.interval == "ci" ? "CI" : "SE") + " or p.";
  if (anyCap) note += " † at least one run of the cell reached the iteration cap while still improving on validation: not converged.";
  if (anyNever) note += " ‡ at least one run of the cell never rose above its starting validation level: not a trained model.";
  if (anyFixed) note += " Runs trained a fixed number of iterations without early stopping: convergence was not checked.";
  writeTextAtomic(expDir / "table.md", "**" + info.task + "**\n\n" + markdown(header, table) + "\n" + note + "\n");
  writeTidyTable(expDir, info, sizes, pooled, cmps, flags);
  writeTextAtomic(expDir / "table.tex", latex(info, info.task + ". " + note, table));
}

std::string writeSources(const fs::path& expDir, const std::string& task, const std::vector<fs::path>& sourceDirs) {
  int n = 0;
  std::vector<Row> src = loadRuns(runMetas(sourceDirs), &n);
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
