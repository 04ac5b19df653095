// per_study.csv and summary.csv.
#include <cstdio>

#include "lib/core/Csv.h"
#include "lib/core/Fs.h"
#include "lib/report/ReportParts.h"
#include "lib/stats/Stats.h"

namespace mst::report {

namespace fs = std::filesystem;

std::string fmt(double v) { return csvNumber(v); }

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
        auto s = stats::summarize(v);
        const auto ci = stats::meanCi(s, info.paired.ciLevel);
        pooled[{arm, size, metric}] = {s.mean.value_or(NAN), s.se.value_or(NAN), s.sd.value_or(NAN),
                                       ci.low.value_or(NAN), ci.high.value_or(NAN), s.n};
        if (!reps.empty()) out += csvLine(summaryLine(info.task, size, arm, "all", metric, s));
      }
  writeTextAtomic(expDir / "summary.csv", out);
  return pooled;
}

}  // namespace mst::report
