// Data sources of an experiment: [data] and [source.pretrain] data, built-in
// synthetic cohorts (generated on first use) or CSV manifests.
#include <algorithm>

#include "lib/core/Error.h"
#include "lib/core/FileLock.h"
#include "lib/core/Fs.h"
#include "lib/experiment/ExperimentParts.h"
#include "lib/synth/Synth.h"

namespace mst::experiment {

std::string DataSpec::describe() const {
  if (!cohort.empty())
    return "synthetic:" + cohort + "/" + preset + "/n" + std::to_string(synthCount) + "/seed" + std::to_string(synthSeed) +
           "/" + longitudinalMode +
           (spacingMm > 0 ? "/" + std::to_string(shape[0]) + "x" + std::to_string(shape[1]) + "x" +
                                std::to_string(shape[2]) + "@" + std::to_string(spacingMm)
                          : std::string());
  return "manifest:" + manifest.string();
}

DataSpec readData(Section& s, const std::filesystem::path& base, bool required) {
  DataSpec d;
  d.cohort = s.string("cohort", "");
  const std::string m = s.string("manifest", "");
  if (!m.empty()) d.manifest = resolveAgainst(std::filesystem::absolute(base), m);  // the same for runner and children
  d.channels = s.strings("channels", {});
  d.preset = s.choice("preset", d.preset, {"demo", "paper"});
  d.synthCount = static_cast<int>(s.integer("count", 0));
  d.synthSeed = seedValue(s, "seed", 1);
  d.longitudinalMode = s.choice("longitudinal_mode", d.longitudinalMode, {"transform", "register"});
  d.shape = s.size3("shape", d.shape);
  d.spacingMm = s.number("spacing", 0.0);
  if ((d.spacingMm > 0) != (d.shape[0] > 0)) s.problem("shape", "shape and spacing go together");
  if (!s.present()) {
    if (required) s.problem("cohort", "missing [data] section (give cohort = \"...\" or manifest = \"...\")");
    return d;
  }
  if (d.cohort.empty() == m.empty())
    s.problem("cohort", "give exactly one of cohort (built-in synthetic) or manifest");
  if (!d.cohort.empty()) {
    try {
      const auto& info = synth::cohort(d.cohort);
      if (d.channels.empty()) d.channels = info.channels;
      for (const auto& c : d.channels)
        if (std::find(info.channels.begin(), info.channels.end(), c) == info.channels.end())
          s.problem("channels", "cohort '" + d.cohort + "' has no channel '" + c + "'");
    } catch (const InputError&) {
      s.problem("cohort", "unknown cohort '" + d.cohort + "'");
    }
  }
  if (!m.empty() && d.channels.empty()) s.problem("channels", "required with a manifest (e.g. channels = [\"flair\"])");
  if (d.synthCount < 0) s.problem("count", "expected >= 1 (or 0 for the preset's count)");
  if (d.spacingMm < 0) s.problem("spacing", "expected a voxel size in mm > 0");
  return d;
}

io::Manifest resolveManifest(const DataSpec& d, const std::filesystem::path& dataRoot, bool generate, int threads,
                             const std::string& what) {
  std::filesystem::path manifest = d.manifest;
  if (!d.cohort.empty()) {
    const synth::Preset& p = synth::preset(d.preset);
    synth::CohortOptions o;
    o.cohort = d.cohort;
    o.count = d.synthCount;
    if (o.count == 0)
      for (const auto& [c, n] : p.counts)
        if (c == d.cohort) o.count = n;
    o.seed = d.synthSeed;
    o.shape = d.spacingMm > 0 ? d.shape : p.shape;
    o.spacingMm = d.spacingMm > 0 ? d.spacingMm : p.spacingMm;
    o.longitudinalMode = d.longitudinalMode;
    o.threads = threads;
    const std::string grid = d.spacingMm > 0 ? "-" + std::to_string(d.shape[0]) + "x" + std::to_string(d.shape[1]) + "x" +
                                                   std::to_string(d.shape[2]) + "-" + std::to_string(d.spacingMm).substr(0, 4) + "mm"
                                             : "";
    manifest = dataRoot / (d.preset + grid + "-seed" + std::to_string(d.synthSeed)) / d.cohort / "manifest.csv";
    if (generate) {
      // Array tasks of one experiment start together on a fresh data root: one generates, the others
      // wait and find the cohort up to date.
      std::filesystem::create_directories(manifest.parent_path().parent_path());
      FileLock lock(manifest.parent_path().parent_path() / (d.cohort + ".lock"));
      manifest = synth::generateCohort(o, manifest.parent_path().parent_path(), true);
    }
    else if (!std::filesystem::exists(manifest))
      return io::Manifest{};  // dry run without data: planned from names only
  }
  io::Manifest m = io::readManifest(manifest);
  m.requireChannels(d.channels);
  if (!m.hasLabel) throw InputError(manifest.string() + ": " + what + " needs a 'label' column");
  io::CheckOptions co;
  co.readVoxels = false;
  co.progress = false;
  auto rep = io::checkManifest(m, co);
  if (!rep.ok()) throw InputError(rep.problems);
  return m;
}

io::Manifest syntheticRows(const DataSpec& d) {
  io::Manifest m;
  int count = d.synthCount;
  if (!count)
    for (const auto& [c, n] : synth::preset(d.preset).counts)
      if (c == d.cohort) count = n;
  for (int i = 0; i < count; ++i) {
    io::StudyRow r;
    r.subject = synth::subjectId(d.cohort, i);
    r.session = synth::sessionOf(d.cohort);
    m.rows.push_back(r);
  }
  return m;
}

std::map<std::string, std::vector<std::string>> bySubject(const io::Manifest& m) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& r : m.rows) out[r.subject].push_back(r.id());
  return out;
}

}  // namespace mst::experiment
