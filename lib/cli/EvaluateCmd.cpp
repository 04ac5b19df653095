#include <iostream>

#include "lib/cli/CliCommon.h"
#include "lib/cli/Commands.h"
#include "lib/core/Csv.h"
#include "lib/core/Error.h"
#include "lib/core/Fs.h"
#include "lib/core/Log.h"
#include "lib/core/Progress.h"
#include "lib/io/Manifest.h"
#include "lib/io/Nifti.h"
#include "lib/eval/Evaluation.h"
#include "lib/metrics/LesionMetrics.h"

namespace mst::cli {

int runEvaluate(const Args& args) {
  po::options_description opts("Options");
  std::string pred, truth, predDir, manifest, out, criterion, protocol;
  metrics::LesionOptions lo;
  bool json = false;
  opts.add_options()("pred", po::value(&pred), "predicted mask (NIfTI) of one study")(
      "truth", po::value(&truth), "true lesion mask (NIfTI) of one study")(
      "pred-dir", po::value(&predDir), "folder of predictions <subject>[_<session>]_mask.nii.gz (test set mode)")(
      "manifest", po::value(&manifest), "manifest whose label column holds the truth (test set mode)")(
      "out", po::value(&out), "per-study CSV to write (test set mode)")(
      "connectivity", po::value(&lo.connectivity)->default_value(26), "lesion connectivity: 6, 18 or 26")(
      "criterion", po::value(&criterion)->default_value("any"),
      "detection rule: any (any voxel overlap), anima (MSSEG alpha/beta/gamma), iou:T")(
      "alpha", po::value(&lo.alpha)->default_value(0.10, "0.1"), "anima: minimum covered fraction (strict)")(
      "beta", po::value(&lo.beta)->default_value(0.70, "0.7"), "anima: maximum fraction outside the other mask")(
      "gamma", po::value(&lo.gamma)->default_value(0.65, "0.65"), "anima: fraction of the coverage that must be explained")(
      "min-size-mm3", po::value(&lo.minSizeMm3)->default_value(0.0, "0"),
      "drop lesions smaller than this (mm^3), both masks: a lesion of exactly this volume is kept")(
      "min-size-strict", po::bool_switch(&lo.minSizeStrict),
      "keep only lesions strictly larger than --min-size-mm3 (Anima's boundary)")(
      "protocol", po::value(&protocol)->default_value("custom"),
      "custom, or msseg: 6-connectivity, lesions > 3 mm^3, criterion anima (alpha 0.10, beta 0.70, gamma 0.65); "
      "overrides those options")(
      "min-size-voxels", po::value(&lo.minSizeVoxels)->default_value(0), "drop lesions smaller than this (voxels)")(
      "threshold", po::value<double>(), "binarise probability-map predictions at this value (>= is lesion); "
                                        "without it a prediction must be a binary mask")(
      "json", po::bool_switch(&json), "print one JSON object (single pair)");
  po::variables_map vm;
  if (!parseArgs("evaluate", "--pred P.nii.gz --truth T.nii.gz [options] | --pred-dir DIR --manifest M --out CSV",
                 "Lesion-wise sensitivity, PPV, F1 and voxel Dice. A lesion is a connected component; the\n"
                 "default criterion 'any' counts a lesion as found when any voxel overlaps. Undefined values\n"
                 "(no true lesions: sensitivity; no predicted lesions: PPV) are empty/null, never 0 or 1.",
                 opts, args, vm))
    return 0;
  std::optional<double> threshold;
  if (vm.count("threshold")) threshold = vm["threshold"].as<double>();
  lo.setCriterion(criterion);
  lo.setProtocol(protocol);
  validateAsOptions([&] { lo.validate("--"); });
  const bool single = vm.count("pred") || vm.count("truth");
  const bool set = vm.count("pred-dir") || vm.count("manifest") || vm.count("out");
  if (single == set)
    throw InputError("mstransfer evaluate: give either --pred and --truth, or --pred-dir, --manifest and --out");
  if (single) {
    if (!vm.count("pred") || !vm.count("truth")) throw InputError("mstransfer evaluate: --pred and --truth go together");
    MaskVolume p = eval::readPrediction(pred, threshold), t = io::readMask(truth);
    if (!p.geom.sameGrid(t.geom))
      throw InputError("'" + pred + "': grid " + p.geom.describe() + " differs from the truth '" + truth + "' grid " +
                       t.geom.describe());
    auto m = metrics::evaluate(p, t, lo);
    if (json) {
      std::cout << metrics::toJson(m) << "\n";
    } else {
      auto cols = metrics::metricColumns();
      auto cells = metrics::metricCells(m);
      for (size_t i = 0; i < cols.size(); ++i) std::cout << cols[i] << ": " << (cells[i].empty() ? "n/a" : cells[i]) << "\n";
    }
    return 0;
  }
  if (!vm.count("pred-dir") || !vm.count("manifest") || !vm.count("out"))
    throw InputError("mstransfer evaluate: --pred-dir, --manifest and --out go together");
  io::Manifest m = io::readManifest(manifest);
  auto pairs = eval::findPredictions(m, predDir);  // every missing file reported at once
  auto rows = eval::evaluateSet(pairs, lo, true, threshold);
  eval::writePerStudyCsv(out, rows, m.hasSession);
  std::cout << out << ": " << log::studies(static_cast<long long>(rows.size())) << " (" << (lo.protocol == "custom" ? "" : "protocol " + lo.protocol + ", ")
            << "criterion " << lo.criterionName() << ", connectivity " << lo.connectivity << ")\n";
  return 0;
}

}  // namespace mst::cli
