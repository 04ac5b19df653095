#include <iostream>

#include "lib/cli/CliCommon.h"
#include "lib/cli/Commands.h"
#include "lib/core/Error.h"
#include "lib/core/Log.h"
#include "lib/stats/Paired.h"

namespace mst::cli {

namespace {
std::string show(const std::optional<double>& v, int prec = 4) {
  if (!v) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", prec, *v);
  return buf;
}
std::string showP(const std::optional<double>& v) {
  if (!v) return "n/a";
  char buf[32];
  if (*v < 0.001) return "< 0.001";
  std::snprintf(buf, sizeof buf, "%.3f", *v);
  return buf;
}

int runPaired(const Args& args) {
  po::options_description opts("Options");
  std::string a, b, metric;
  bool json = false;
  stats::PairedOptions po_;
  opts.add_options()("a", po::value(&a)->required(), "per-study CSV of arm A (columns subject[, session], METRIC)")(
      "b", po::value(&b)->required(), "per-study CSV of arm B")(
      "metric", po::value(&metric)->default_value("sensitivity"), "column to compare")(
      "bootstrap", po::value(&po_.bootstrapResamples)->default_value(10000), "bootstrap resamples for the CI")(
      "ci-level", po::value(&po_.ciLevel)->default_value(0.95, "0.95"), "confidence level of the CI")(
      "seed", po::value(&po_.seed)->default_value(12345), "bootstrap seed")(
      "json", po::bool_switch(&json), "print one JSON object");
  po::variables_map vm;
  if (!parseArgs("stats paired", "--a A.csv --b B.csv --metric COLUMN [--json]",
                 "Paired comparison of two arms on one per-study metric: mean +- SE of each arm, mean difference with a\n"
                 "bootstrap CI, paired t-test and Wilcoxon signed-rank test (SciPy defaults: zeros dropped, no\n"
                 "continuity correction; exact for n <= 50 without ties, else normal approximation with tie correction).\n"
                 "Studies are joined on subject (and session when both files have it); pairs with an undefined value\n"
                 "in either arm are dropped and counted.",
                 opts, args, vm))
    return 0;
  po_.validate("stats paired: --");
  auto joined = stats::joinOnStudy(a, b, metric);
  for (const auto& u : joined.unmatched) log::warn("study not in both files: ", u);
  auto r = stats::comparePaired(joined.a, joined.b, po_);
  if (json) {
    std::cout << stats::toJson(r, metric) << "\n";
    return 0;
  }
  std::cout << "metric " << metric << ": " << r.nPairs << " pairs used, " << r.nDropped << " dropped (undefined)\n"
            << "  A: " << show(r.a.mean) << " +- " << show(r.a.se) << " (mean +- SE)\n"
            << "  B: " << show(r.b.mean) << " +- " << show(r.b.se) << "\n"
            << "  A - B: " << show(r.meanDiff) << " [" << show(r.ci.low) << ", " << show(r.ci.high) << "] ("
            << r.ci.level * 100 << "% bootstrap CI)\n"
            << "  paired t: t = " << show(r.t.t, 3) << ", p " << showP(r.t.p) << "\n"
            << "  Wilcoxon signed-rank (" << (r.w.method.empty() ? "undefined" : r.w.method)
            << "): W = " << show(r.w.statistic, 1) << ", p " << showP(r.w.p) << "\n"
            << "  effect size: Cohen's d_z " << show(r.cohenDz, 3) << ", rank-biserial " << show(r.rankBiserial, 3)
            << "\n";
  return 0;
}
}  // namespace

int runStats(const Args& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << "Usage: mstransfer stats paired --a A.csv --b B.csv --metric COLUMN [--json]\n\n"
                 "  paired   compare two arms per study (t-test, Wilcoxon, bootstrap CI, effect sizes)\n";
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "paired") return runPaired(Args(args.begin() + 1, args.end()));
  throw InputError("mstransfer stats: unknown action '" + args[0] + "', expected 'paired'");
}

}  // namespace mst::cli
