// Manifest builders for known dataset layouts.
#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>

#include "lib/core/Error.h"
#include "lib/core/Fs.h"
#include "lib/io/Manifest.h"
#include "lib/io/Nifti.h"

namespace mst::io {

namespace {

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i] + " (_" + (i < 10 ? "000" : "00") + std::to_string(i) + ")";
  return s;
}

std::vector<fs::path> patientDirs(const fs::path& root) {
  static const std::regex kPatient("patient[0-9]+");
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(root))
    if (e.is_directory() && std::regex_match(e.path().filename().string(), kPatient)) dirs.push_back(e.path());
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

// The files a layout expects: every missing one is a problem, and when none of them exists the
// folder is another layout, said once instead of a "file not found" per file.
struct Expected {
  ProblemList problems;
  int needed = 0, found = 0;
  std::string firstMissing;
  void require(const fs::path& p) {
    std::error_code ec;
    ++needed;
    if (fs::is_regular_file(p, ec)) {
      ++found;
      return;
    }
    if (firstMissing.empty()) firstMissing = p.string();
    problems.add("'" + p.string() + "': file not found");
  }
  void finish(const fs::path& root, const std::string& layout) {
    if (needed > 0 && found == 0)
      throw InputError("'" + root.string() + "': does not match the layout '" + layout + "': none of the " +
                       std::to_string(needed) + " files it expects exists (the first: '" + firstMissing +
                       "'); `mstransfer manifest scan --help` lists the layouts");
    problems.throwIfAny();
  }
};

Manifest scanLongitudinal(const fs::path& root) {
  Manifest m;
  m.channels = {"flair_prior", "flair"};
  m.hasSession = m.hasLabel = m.hasBrainmask = m.hasReference = true;
  Expected files;
  for (const auto& d : patientDirs(root)) {
    StudyRow r;
    r.subject = d.filename().string();
    r.session = "study2";
    r.channels = {{"flair_prior", d / "study1_FLAIR.nii.gz"}, {"flair", d / "study2_FLAIR.nii.gz"}};
    r.transforms = {{"flair_prior", d / "study1_FLAIR_to_common_space.txt"},
                    {"flair", d / "study2_FLAIR_to_common_space.txt"}};
    r.reference = r.label = d / "gt.nii.gz";
    r.brainmask = d / "brainmask.nii.gz";
    for (const auto& [n, p] : r.channels) files.require(p);
    for (const auto& [n, p] : r.transforms) files.require(p);
    files.require(r.label);
    files.require(r.brainmask);
    m.rows.push_back(r);
  }
  files.finish(root, "open_ms_longitudinal");
  return m;
}

Manifest scanCrossSectional(const fs::path& root) {
  Manifest m;
  m.channels = {"flair", "t1", "t1post", "t2"};
  m.hasSession = m.hasLabel = true;
  Expected files;
  for (const auto& d : patientDirs(root)) {
    StudyRow r;
    r.subject = d.filename().string();
    r.session = "1";
    r.channels = {{"flair", d / "FLAIR.nii.gz"}, {"t1", d / "T1.nii.gz"}, {"t1post", d / "T1POST.nii.gz"},
                  {"t2", d / "T2.nii.gz"}};
    r.label = d / "consensus_gt.nii.gz";
    for (const auto& [n, p] : r.channels) files.require(p);
    files.require(r.label);
    m.rows.push_back(r);
  }
  files.finish(root, "open_ms_cross_sectional");
  return m;
}

// imagesTr with labelsTr, or (test) imagesTs with labelsTs where it exists.
Manifest scanNnunet(const fs::path& root, bool test) {
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
  const fs::path images = root / (test ? "imagesTs" : "imagesTr"), labels = root / (test ? "labelsTs" : "labelsTr");
  m.hasLabel = fs::is_directory(labels);
  if (!fs::is_directory(images))
    throw InputError("'" + images.string() + "': folder not found (layout 'nnunet" + (test ? "_test" : "") + "')");
  Expected files;
  std::vector<std::string> cases;
  const std::string suffix0 = "_0000" + ending;
  for (const auto& e : fs::directory_iterator(images)) {
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
      fs::path p = images / (c + buf + ending);
      files.require(p);
      r.channels.emplace_back(name, p);
    }
    if (m.hasLabel) {
      r.label = labels / (c + ending);
      files.require(r.label);
    }
    m.rows.push_back(r);
  }
  files.finish(root, test ? "nnunet_test" : "nnunet");
  return m;
}

// CASE_0000.nii.gz -> ("CASE", 0); false for other names.
bool channelFile(const std::string& name, std::string* kase, int* index) {
  static const std::regex kName("(.+)_([0-9]{4})\\.nii(\\.gz)?");
  std::smatch m;
  if (!std::regex_match(name, m, kName)) return false;
  *kase = m[1];
  *index = std::stoi(m[2]);
  return true;
}

// The channel images of one case share one grid.
void checkSameGrid(const StudyRow& r, const std::vector<std::string>& channels, ProblemList& problems) {
  if (r.channels.size() < 2) return;
  const auto first = readImageInfo(r.channels[0].second);
  for (size_t c = 1; c < r.channels.size(); ++c) {
    const auto info = readImageInfo(r.channels[c].second);
    if (!info.geom.sameGrid(first.geom))
      problems.add("'" + r.channels[c].second.string() + "' (channel " + channels[c] + "): grid " + info.geom.describe() +
                   " differs from '" + r.channels[0].second.filename().string() + "' (" + first.geom.describe() +
                   "); a plain folder needs every channel of a case on one grid (resample them, or give a manifest "
                   "with a <channel>_transform column)");
  }
}

}  // namespace

Manifest scanImageFolder(const fs::path& dir, const std::vector<std::string>& channels) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw InputError("'" + dir.string() + "': folder not found (--input)");
  std::map<std::string, std::map<int, fs::path>> cases;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string kase;
    int index = 0;
    if (e.is_regular_file() && channelFile(e.path().filename().string(), &kase, &index)) cases[kase][index] = e.path();
  }
  if (cases.empty())
    throw InputError("'" + dir.string() + "': no images named CASE_0000.nii.gz (nnU-Net naming: one file per channel, "
                     "_0000 for the first) in this folder");
  Manifest m;
  m.dir = dir;
  m.channels = channels;
  ProblemList problems;
  for (const auto& [kase, files] : cases) {
    StudyRow r;
    r.subject = kase;
    r.line = static_cast<int>(m.rows.size()) + 1;
    for (size_t c = 0; c < channels.size(); ++c) {
      const auto it = files.find(static_cast<int>(c));
      char suffix[32];
      std::snprintf(suffix, sizeof suffix, "_%04zu", c);
      if (it == files.end())
        problems.add("'" + (dir / (kase + suffix + ".nii.gz")).string() + "': missing; the model takes " +
                     std::to_string(channels.size()) + " channel(s) in this order: " + joined(channels));
      else r.channels.emplace_back(channels[c], it->second);
    }
    for (const auto& [index, path] : files)
      if (index >= static_cast<int>(channels.size()))
        problems.add("'" + path.string() + "': channel index " + std::to_string(index) + ", but the model takes " +
                     std::to_string(channels.size()) + " channel(s) (" + joined(channels) + ")");
    if (r.channels.size() == channels.size()) checkSameGrid(r, channels, problems);
    m.rows.push_back(r);
  }
  problems.throwIfAny();
  return m;
}

Manifest scanLayout(const std::string& layout, const fs::path& root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) throw InputError("'" + root.string() + "': folder not found (--root)");
  Manifest m;
  if (layout == "open_ms_longitudinal") m = scanLongitudinal(root);
  else if (layout == "open_ms_cross_sectional") m = scanCrossSectional(root);
  else if (layout == "nnunet") m = scanNnunet(root, false);
  else if (layout == "nnunet_test") m = scanNnunet(root, true);
  else {
    std::string names;
    for (const auto& [n, d] : layouts()) names += (names.empty() ? "" : ", ") + n;
    throw InputError("--layout: unknown layout '" + layout + "', expected one of: " + names);
  }
  if (m.rows.empty()) throw InputError("'" + root.string() + "': no studies found for layout '" + layout + "'");
  return m;
}

}  // namespace mst::io
