#include "lib/stats/Paired.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <map>

#include "lib/core/Csv.h"
#include "lib/core/Error.h"
#include "lib/core/Spelling.h"

namespace mst::stats {

PairedResult comparePaired(const std::vector<std::optional<double>>& a, const std::vector<std::optional<double>>& b,
                           const PairedOptions& o) {
  PairedResult r;
  std::vector<double> x, y, d;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (!a[i] || !b[i] || !std::isfinite(*a[i]) || !std::isfinite(*b[i])) {
      ++r.nDropped;
      continue;
    }
    x.push_back(*a[i]);
    y.push_back(*b[i]);
    d.push_back(*a[i] - *b[i]);
  }
  r.nPairs = static_cast<int64_t>(x.size());
  r.a = summarize(x);
  r.b = summarize(y);
  if (x.empty()) return r;
  r.meanDiff = summarize(d).mean;
  r.t = pairedT(x, y);
  r.w = wilcoxonSignedRank(x, y);
  r.ci = bootstrapMeanCi(d, o.bootstrapResamples, o.ciLevel, o.seed);
  r.cohenDz = stats::cohenDz(x, y);
  r.rankBiserial = stats::rankBiserial(r.w);
  return r;
}

void PairedOptions::validate(const std::string& where) const {
  ProblemList p;
  if (bootstrapResamples < 1)
    p.add(where + "bootstrap: expected >= 1 resamples, got " + std::to_string(bootstrapResamples));
  if (!(ciLevel > 0 && ciLevel < 1))
    p.add(where + "ci_level: expected a level in (0, 1), e.g. 0.95, got " + formatNumber(ciLevel));
  p.throwIfAny();
}

namespace {
std::optional<double> parseCell(const std::string& s, const std::string& where) {
  if (s.empty() || s == "NA" || s == "nan" || s == "NaN") return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (*end) throw InputError(where + ": expected a number or empty, got '" + s + "'");
  return v;
}

struct Keyed {
  std::map<std::string, std::optional<double>> values;
  std::vector<std::string> order;
};

Keyed readKeyed(const std::filesystem::path& file, const std::string& metric, bool useSession) {
  CsvTable t = readCsv(file);
  ProblemList p;
  const int subj = t.column("subject"), sess = t.column("session"), m = t.column(metric);
  if (subj < 0) p.add(file.string() + ":1: missing column 'subject'");
  if (m < 0) {
    std::string cols;
    for (const auto& h : t.header) cols += (cols.empty() ? "" : ", ") + h;
    const std::string meant = closestName(metric, {t.header.begin(), t.header.end()});
    p.add(file.string() + ":1: missing column '" + metric + "'" + (meant.empty() ? "" : " (did you mean '" + meant + "'?)") +
          "; the columns are: " + cols);
  }
  p.throwIfAny();
  Keyed k;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    const std::string where = file.string() + ":" + std::to_string(t.lines[r]) + ": column '" + metric + "'";
    std::string key = t.rows[r][subj];
    if (useSession && sess >= 0) key += "/" + t.rows[r][sess];
    try {
      auto v = parseCell(t.rows[r][m], where);
      if (!k.values.emplace(key, v).second)
        p.add(file.string() + ":" + std::to_string(t.lines[r]) + ": duplicate study '" + key + "'");
      else
        k.order.push_back(key);
    } catch (const InputError& e) {
      p.add(e.what());
    }
  }
  p.throwIfAny();
  return k;
}

bool hasColumn(const std::filesystem::path& file, const std::string& col) {
  return readCsv(file).column(col) >= 0;
}
}  // namespace

JoinedColumns joinOnStudy(const std::filesystem::path& fa, const std::filesystem::path& fb, const std::string& metric) {
  const bool useSession = hasColumn(fa, "session") && hasColumn(fb, "session");
  Keyed a = readKeyed(fa, metric, useSession), b = readKeyed(fb, metric, useSession);
  JoinedColumns j;
  for (const auto& key : a.order) {
    auto it = b.values.find(key);
    if (it == b.values.end()) {
      j.unmatched.push_back(key + " (only in " + fa.string() + ")");
      continue;
    }
    j.keys.push_back(key);
    j.a.push_back(a.values[key]);
    j.b.push_back(it->second);
  }
  for (const auto& key : b.order)
    if (!a.values.count(key)) j.unmatched.push_back(key + " (only in " + fb.string() + ")");
  return j;
}

std::string formatNumber(const std::optional<double>& v, const char* undefined) {
  if (!v || !std::isfinite(*v)) return undefined;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.10g", *v);
  return buf;
}

std::string toJson(const PairedResult& r, const std::string& metric) {
  auto f = [](const std::optional<double>& v) {
    return v && std::isfinite(*v) ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
  };
  nlohmann::ordered_json j;
  j["metric"] = metric;
  j["n_pairs"] = r.nPairs;
  j["n_dropped"] = r.nDropped;
  j["mean_a"] = f(r.a.mean);
  j["se_a"] = f(r.a.se);
  j["mean_b"] = f(r.b.mean);
  j["se_b"] = f(r.b.se);
  j["mean_diff"] = f(r.meanDiff);
  j["ci_low"] = f(r.ci.low);
  j["ci_high"] = f(r.ci.high);
  j["ci_level"] = f(r.ci.level);
  j["ci_method"] = "percentile bootstrap, " + std::to_string(r.ci.resamples) + " resamples";
  j["t"] = f(r.t.t);
  j["t_df"] = f(r.t.df);
  j["t_p"] = f(r.t.p);
  j["wilcoxon_statistic"] = f(r.w.statistic);
  j["wilcoxon_p"] = f(r.w.p);
  j["wilcoxon_method"] = r.w.method.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(r.w.method);
  j["wilcoxon_continuity_correction"] = false;
  j["cohen_dz"] = f(r.cohenDz);
  j["rank_biserial"] = f(r.rankBiserial);
  return j.dump(2);
}

}  // namespace mst::stats
