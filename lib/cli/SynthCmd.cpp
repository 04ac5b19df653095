#include <iostream>
#include <sstream>

#include "lib/cli/CliCommon.h"
#include "lib/cli/Commands.h"
#include "lib/core/Error.h"
#include "lib/core/Log.h"
#include "lib/synth/Synth.h"

namespace mst::cli {

namespace {
Size3 parseShape(const std::string& s) {
  Size3 out{0, 0, 0};
  std::stringstream ss(s);
  std::string part;
  int n = 0;
  while (std::getline(ss, part, ',')) {
    if (n >= 3) break;
    char* end = nullptr;
    long v = std::strtol(part.c_str(), &end, 10);
    if (part.empty() || *end) throw InputError("--shape: expected X,Y,Z (three integers), got '" + s + "'");
    out[n++] = v;
  }
  if (n != 3) throw InputError("--shape: expected X,Y,Z (three integers), got '" + s + "'");
  return out;
}
}  // namespace

int runSynth(const Args& args) {
  po::options_description opts("Options");
  std::string cohortName, out, shape, presetName, preview, mode;
  int count = 0, threads = 0;
  uint64_t seed = 1;
  double spacing = 0;
  bool skull = false;
  std::string cohorts = "cohorts:";
  for (const auto& c : synth::cohortInfo()) cohorts += "\n  " + c.name + ": " + c.description;
  opts.add_options()("cohort", po::value(&cohortName), ("cohort to generate (all five with --preset); " + cohorts).c_str())(
      "count", po::value(&count), "number of studies (default: the preset's, else 10)")(
      "seed", po::value(&seed)->default_value(1), "random seed: the same seed gives byte-identical files")(
      "out", po::value(&out)->required(), "output root; each cohort goes to OUT/<cohort>/")(
      "shape", po::value(&shape), "grid X,Y,Z in voxels (default 80,96,80, or the preset's)")(
      "spacing", po::value(&spacing), "isotropic voxel size in mm (default 2, or the preset's)")(
      "preset", po::value(&presetName), "demo (2 mm, 80x96x80, demo counts) or paper (1 mm, 160x192x160)")(
      "skull", po::bool_switch(&skull), "add skull and scalp (default: skull-stripped)")(
      "longitudinal-mode", po::value(&mode)->default_value("transform"),
      "ms_longitudinal: 'transform' (prior visit misaligned, ITK transform in the manifest) or 'register' "
      "(prior resampled into register)")(
      "threads", po::value(&threads)->default_value(defaultThreads()), "studies generated in parallel")(
      "preview", po::value(&preview), "write a PNG of one study per cohort into this folder");
  po::variables_map vm;
  if (!parseArgs("synth", "--cohort NAME --count N --seed S --out DIR [options] | --preset demo|paper --out DIR",
                 "Generates the built-in synthetic cohorts (brain MRI phantoms with lesions) as NIfTI files and a\n"
                 "manifest per cohort. Deterministic: the same options give byte-identical files.",
                 opts, args, vm))
    return 0;
  {
    ProblemList p;
    if (vm.count("count") && count < 1) p.add("synth: --count: expected >= 1 studies, got " + std::to_string(count));
    if (vm.count("spacing") && !(spacing > 0 && spacing <= 20))
      p.add("synth: --spacing: expected a voxel size in mm, 0 < spacing <= 20, got " + log::cat(spacing));
    if (threads < 1) p.add("synth: --threads: expected >= 1, got " + std::to_string(threads));
    p.throwIfAny();
  }
  std::vector<synth::CohortOptions> jobs;
  auto base = [&](const std::string& name, int n, const Size3& sh, double sp) {
    synth::CohortOptions o;
    o.cohort = name;
    o.count = count > 0 ? count : n;
    o.seed = seed;
    o.shape = shape.empty() ? sh : parseShape(shape);
    o.spacingMm = spacing > 0 ? spacing : sp;
    o.skull = skull;
    o.longitudinalMode = mode;
    o.threads = threads;
    return o;
  };
  if (vm.count("preset")) {
    const synth::Preset& p = synth::preset(presetName);
    for (const auto& [name, n] : p.counts)
      if (cohortName.empty() || cohortName == name) jobs.push_back(base(name, n, p.shape, p.spacingMm));
    if (jobs.empty()) synth::cohort(cohortName);  // throws the list of names
  } else {
    if (cohortName.empty()) throw InputError("mstransfer synth: give --cohort NAME or --preset demo|paper");
    jobs.push_back(base(cohortName, 10, {80, 96, 80}, 2.0));
  }
  ProblemList problems;
  for (const auto& j : jobs) {
    try {
      j.validate();
    } catch (const InputError& e) {
      for (const auto& p : e.problems()) problems.add(p);
    }
  }
  problems.throwIfAny();
  for (const auto& j : jobs) {
    auto manifest = synth::generateCohort(j, out, true);
    std::cout << manifest.string() << ": " << log::studies(j.count) << "\n";
    if (!preview.empty()) {
      // The first study with a nonempty label shows the pathology best.
      for (int i = 0; i < j.count; ++i) {
        synth::Study st = synth::makeStudy(j, i);
        bool any = false;
        for (auto v : st.label.data) any = any || v;
        if (!any && i + 1 < j.count) continue;
        auto png = std::filesystem::path(preview) / (j.cohort + ".png");
        synth::writePreview(st, png);
        std::cout << png.string() << ": preview of " << st.subject << "\n";
        break;
      }
    }
  }
  return 0;
}

}  // namespace mst::cli
