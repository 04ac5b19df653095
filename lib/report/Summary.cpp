// per_study.csv and summary.csv.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "lib/core/Csv.h"
#include "lib/core/Fs.h"
#include "lib/report/ReportParts.h"
#include "lib/stats/Stats.h"

namespace mst::report {

namespace fs = std::filesystem;

std::string fmt(double v) { return csvNumber(v); }

std::string decimals(double v, int places, bool sign) {
  if (!std::isfinite(v)) return "n/a";
  char b[48];
  std::snprintf(b, sizeof b, sign ? "%+.*f" : "%.*f", places, v);
  return b;
}

std::map<std::string, double> perStudyMeans(const std::vector<Row>& rows, const std::string& arm, int size,
                                            const std::string& metric) {
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
}

std::vector<std::string> studyKeys(const std::vector<Row>& rows, const std::set<std::pair<std::string, int>>& cells) {
  std::set<std::string> keys;
  for (const auto& r : rows)
    if (cells.count({r.arm, r.size})) keys.insert(r.subject + "/" + r.session);
  return {keys.begin(), keys.end()};
}

stats::RunStudy runStudy(const std::vector<Row>& rows, const std::string& arm, int size, const std::string& metric,
                         const std::vector<std::string>& studies) {
  std::map<std::string, size_t> col, run;
  for (size_t i = 0; i < studies.size(); ++i) col[studies[i]] = i;
  for (const auto& r : rows)
    if (r.arm == arm && r.size == size) run.emplace(r.run, 0);
  size_t k = 0;
  for (auto& [id, i] : run) i = k++;  // runs in id order
  stats::RunStudy m(run.size(), std::vector<double>(studies.size(), NAN));
  for (const auto& r : rows) {
    if (r.arm != arm || r.size != size) continue;
    const auto c = col.find(r.subject + "/" + r.session);
    const auto v = r.m.find(metric);
    if (c != col.end() && v != r.m.end() && v->second) m[run.at(r.run)][c->second] = *v->second;
  }
  return m;
}

void writePerStudy(const fs::path& expDir, const std::string& task, const std::vector<Row>& rows) {
  const auto& cols = allMetricColumns();
  std::vector<std::string> h = {"task", "run", "arm", "train_size", "repeat", "subject", "session"};
  h.insert(h.end(), cols.begin(), cols.end());
  std::string out = csvLine(h);
  for (const auto& r : rows) {
    std::vector<std::string> c = {task, r.run, r.arm, std::to_string(r.size), std::to_string(r.repeat), r.subject, r.session};
    for (const auto& m : cols) c.push_back(r.m.count(m) && r.m.at(m) ? fmt(*r.m.at(m)) : "");
    out += csvLine(c);
  }
  writeTextAtomic(expDir / "per_study.csv", out);
}

namespace {

std::vector<std::string> summaryLine(const std::string& task, int size, const std::string& arm, const std::string& rep,
                                     const std::string& metric, const stats::Summary& s) {
  return {task, std::to_string(size), arm, rep, metric, fmt(s.mean.value_or(NAN)), fmt(s.se.value_or(NAN)),
          fmt(s.sd.value_or(NAN)), std::to_string(s.n)};
}

// One cell of the tables: mean +- SE over studies, and its CI (two-level bootstrap with >= 2 runs).
Cell pooledCell(const ExperimentInfo& info, const std::vector<Row>& rows, const std::string& arm, int size,
                const std::string& metric, const std::vector<double>& studyValues) {
  const auto s = stats::summarize(studyValues);
  Cell c{s.mean.value_or(NAN), s.se.value_or(NAN), s.sd.value_or(NAN), NAN, NAN, s.n, 0, "t over studies"};
  const auto m = runStudy(rows, arm, size, metric, studyKeys(rows, {{arm, size}}));
  c.runs = static_cast<int64_t>(m.size());
  if (c.runs < 2) {
    const auto ci = stats::meanCi(s, info.paired.ciLevel);
    c.ciLow = ci.low.value_or(NAN);
    c.ciHigh = ci.high.value_or(NAN);
    return c;
  }
  std::vector<double> reps;
  for (const auto& r : stats::jointReplicates({m}, info.twoLevel()))
    if (std::isfinite(r[0])) reps.push_back(r[0]);
  std::sort(reps.begin(), reps.end());
  const double level = info.paired.ciLevel;
  c.ciLow = stats::sortedQuantile(reps, (1 - level) / 2);
  c.ciHigh = stats::sortedQuantile(reps, 1 - (1 - level) / 2);
  c.ciMethod = "two-level bootstrap";
  return c;
}

}  // namespace

Pooled writeSummary(const fs::path& expDir, const ExperimentInfo& info, const std::vector<Row>& rows,
                    const std::set<int>& sizes) {
  Pooled pooled;
  std::string out = csvLine({"task", "train_size", "arm", "repeat", "metric", "mean", "se", "sd", "n"});
  for (const auto& arm : info.arms)
    for (int size : sizes)
      for (const auto& metric : allMetricColumns()) {
        std::set<int> reps;
        for (const auto& r : rows)
          if (r.arm == arm && r.size == size) reps.insert(r.repeat);
        for (int rep : reps) {
          std::vector<double> v;
          for (const auto& r : rows)
            if (r.arm == arm && r.size == size && r.repeat == rep && r.m.count(metric) && r.m.at(metric))
              v.push_back(*r.m.at(metric));
          out += csvLine(summaryLine(info.task, size, arm, std::to_string(rep), metric, stats::summarize(v)));
        }
        std::vector<double> v;
        for (const auto& [k, x] : perStudyMeans(rows, arm, size, metric)) v.push_back(x);
        pooled[{arm, size, metric}] = pooledCell(info, rows, arm, size, metric, v);
        if (!reps.empty()) out += csvLine(summaryLine(info.task, size, arm, "all", metric, stats::summarize(v)));
      }
  writeTextAtomic(expDir / "summary.csv", out);
  return pooled;
}

}  // namespace mst::report
