// Manifest builders for known dataset layouts.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <regex>

#include "lib/core/Error.h"
#include "lib/core/Fs.h"
#include "lib/io/Manifest.h"

namespace mst::io {

namespace {

std::vector<fs::path> patientDirs(const fs::path& root) {
  static const std::regex kPatient("patient[0-9]+");
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(root))
    if (e.is_directory() && std::regex_match(e.path().filename().string(), kPatient)) dirs.push_back(e.path());
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

void requireFile(ProblemList& problems, const fs::path& p) {
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) problems.add("'" + p.string() + "': file not found");
}

Manifest scanLongitudinal(const fs::path& root) {
  Manifest m;
  m.channels = {"flair_prior", "flair"};
  m.hasSession = m.hasLabel = m.hasBrainmask = m.hasReference = true;
  ProblemList problems;
  for (const auto& d : patientDirs(root)) {
    StudyRow r;
    r.subject = d.filename().string();
    r.session = "study2";
    r.channels = {{"flair_prior", d / "study1_FLAIR.nii.gz"}, {"flair", d / "study2_FLAIR.nii.gz"}};
    r.transforms = {{"flair_prior", d / "study1_FLAIR_to_common_space.txt"},
                    {"flair", d / "study2_FLAIR_to_common_space.txt"}};
    r.reference = r.label = d / "gt.nii.gz";
    r.brainmask = d / "brainmask.nii.gz";
    for (const auto& [n, p] : r.channels) requireFile(problems, p);
    for (const auto& [n, p] : r.transforms) requireFile(problems, p);
    requireFile(problems, r.label);
    requireFile(problems, r.brainmask);
    m.rows.push_back(r);
  }
  problems.throwIfAny();
  return m;
}

Manifest scanCrossSectional(const fs::path& root) {
  Manifest m;
  m.channels = {"flair", "t1", "t1post", "t2"};
  m.hasSession = m.hasLabel = true;
  ProblemList problems;
  for (const auto& d : patientDirs(root)) {
    StudyRow r;
    r.subject = d.filename().string();
    r.session = "1";
    r.channels = {{"flair", d / "FLAIR.nii.gz"}, {"t1", d / "T1.nii.gz"}, {"t1post", d / "T1POST.nii.gz"},
                  {"t2", d / "T2.nii.gz"}};
    r.label = d / "consensus_gt.nii.gz";
    for (const auto& [n, p] : r.channels) requireFile(problems, p);
    requireFile(problems, r.label);
    m.rows.push_back(r);
  }
  problems.throwIfAny();
  return m;
}

Manifest scanNnunet(const fs::path& root) {
  const fs::path js = root / "dataset.json";
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(readText(js));
  } catch (const nlohmann::json::exception& e) {
    throw InputError("'" + js.string() + "': invalid JSON: " + e.what());
  }
  // nnU-Net v2 uses "channel_names", v1 "modality"; both map "0" -> name.
  const char* key = j.contains("channel_names") ? "channel_names" : (j.contains("modality") ? "modality" : nullptr);
  if (!key) throw InputError("'" + js.string() + "': expected a 'channel_names' (v2) or 'modality' (v1) object");
  std::vector<std::pair<int, std::string>> chans;
  for (auto it = j[key].begin(); it != j[key].end(); ++it) {
    std::string name = it.value().get<std::string>();
    std::string clean;
    for (char c : name) clean += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '_';
    chans.emplace_back(std::stoi(it.key()), clean);
  }
  std::sort(chans.begin(), chans.end());
  const std::string ending = j.value("file_ending", std::string(".nii.gz"));
  Manifest m;
  for (const auto& c : chans) m.channels.push_back(c.second);
  m.hasLabel = fs::is_directory(root / "labelsTr");
  ProblemList problems;
  if (!fs::is_directory(root / "imagesTr")) problems.add("'" + (root / "imagesTr").string() + "': folder not found");
  problems.throwIfAny();
  std::vector<std::string> cases;
  const std::string suffix0 = "_0000" + ending;
  for (const auto& e : fs::directory_iterator(root / "imagesTr")) {
    const std::string n = e.path().filename().string();
    if (n.size() > suffix0.size() && n.compare(n.size() - suffix0.size(), suffix0.size(), suffix0) == 0)
      cases.push_back(n.substr(0, n.size() - suffix0.size()));
  }
  std::sort(cases.begin(), cases.end());
  for (const auto& c : cases) {
    StudyRow r;
    r.subject = c;
    for (const auto& [idx, name] : chans) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "_%04d", idx);
      fs::path p = root / "imagesTr" / (c + buf + ending);
      requireFile(problems, p);
      r.channels.emplace_back(name, p);
    }
    if (m.hasLabel) {
      r.label = root / "labelsTr" / (c + ending);
      requireFile(problems, r.label);
    }
    m.rows.push_back(r);
  }
  problems.throwIfAny();
  return m;
}

}  // namespace

Manifest scanLayout(const std::string& layout, const fs::path& root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) throw InputError("'" + root.string() + "': folder not found (--root)");
  Manifest m;
  if (layout == "open_ms_longitudinal") m = scanLongitudinal(root);
  else if (layout == "open_ms_cross_sectional") m = scanCrossSectional(root);
  else if (layout == "nnunet") m = scanNnunet(root);
  else {
    std::string names;
    for (const auto& [n, d] : layouts()) names += (names.empty() ? "" : ", ") + n;
    throw InputError("--layout: unknown layout '" + layout + "', expected one of: " + names);
  }
  if (m.rows.empty()) throw InputError("'" + root.string() + "': no studies found for layout '" + layout + "'");
  return m;
}

}  // namespace mst::io
