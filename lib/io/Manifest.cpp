#include "lib/io/Manifest.h"

#include <algorithm>
#include <cmath>
#include <regex>
#include <set>
#include <optional>
#include <sstream>

#include "lib/core/Csv.h"
#include "lib/core/Error.h"
#include "lib/core/Spelling.h"
#include "lib/core/Log.h"
#include "lib/core/Fs.h"
#include "lib/core/Progress.h"
#include "lib/io/Nifti.h"
#include "lib/io/Transform.h"

namespace mst::io {

namespace {
const std::set<std::string> kReserved = {"subject", "session", "label", "brainmask", "reference"};
const std::string kTransformSuffix = "_transform";

bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
}  // namespace

const fs::path* StudyRow::channel(const std::string& name) const {
  for (const auto& [n, p] : channels)
    if (n == name) return &p;
  return nullptr;
}

const StudyRow* Manifest::find(const std::string& subject, const std::string& session) const {
  for (const auto& r : rows)
    if (r.subject == subject && r.session == session) return &r;
  return nullptr;
}

void Manifest::requireChannels(const std::vector<std::string>& names) const {
  ProblemList problems;
  std::string have;
  for (const auto& c : channels) have += (have.empty() ? "" : ", ") + c;
  for (const auto& n : names)
    if (std::find(channels.begin(), channels.end(), n) == channels.end())
      problems.add(file.string() + ": channel '" + n + "' required, manifest has: " + (have.empty() ? "none" : have));
  problems.throwIfAny();
}

namespace {
// The reserved column a channel name probably meant, or "".
std::string misspeltReserved(const std::string& column) {
  std::string squashed;
  for (char c : column)
    if (c != '_') squashed += c;
  for (const std::string r : {"label", "brainmask", "reference", "subject", "session"}) {
    const size_t limit = r.size() <= 5 ? 1 : 2;
    if (squashed == r || editDistance(column, r) <= limit || editDistance(squashed, r) <= limit) return r;
  }
  for (const std::string r : {"labels", "mask", "seg", "segmentation", "gt", "lesions", "lesion_mask"})
    if (column == r) return "label";
  return "";
}
}  // namespace

Manifest readManifest(const fs::path& file) {
  ProblemList problems;
  Manifest m = readManifest(file, problems);
  problems.throwIfAny();
  return m;
}

Manifest readManifest(const fs::path& file, ProblemList& problems) {
  CsvTable t = readCsv(file);
  Manifest m;
  m.file = file;
  m.dir = file.has_parent_path() ? file.parent_path() : fs::path(".");
  const std::string f = file.string();
  static const std::regex kName("[a-z0-9_]+");
  std::set<std::string> seen;
  for (const auto& h : t.header) {
    if (!seen.insert(h).second) problems.add(f + ":1: column '" + h + "' appears more than once");
    if (h.empty()) problems.add(f + ":1: empty column name in header");
  }
  if (t.column("subject") < 0) problems.add(f + ":1: missing required column 'subject'");
  m.hasSession = t.column("session") >= 0;
  m.hasLabel = t.column("label") >= 0;
  m.hasBrainmask = t.column("brainmask") >= 0;
  m.hasReference = t.column("reference") >= 0;
  for (const auto& h : t.header) {
    if (kReserved.count(h) || endsWith(h, kTransformSuffix) || h.empty()) continue;
    if (!std::regex_match(h, kName))
      problems.add(f + ":1: column '" + h + "': channel names must be lower-case letters, digits and '_'");
    const std::string meant = misspeltReserved(h);
    if (!meant.empty() && t.column(meant) < 0)
      problems.add(f + ":1: column '" + h + "' is read as an image channel; did you mean '" + meant +
                   "'? (reserved columns: subject, session, label, brainmask, reference; rename the column)");
    m.channels.push_back(h);
  }
  for (const auto& h : t.header) {
    if (!endsWith(h, kTransformSuffix)) continue;
    const std::string ch = h.substr(0, h.size() - kTransformSuffix.size());
    if (std::find(m.channels.begin(), m.channels.end(), ch) == m.channels.end())
      problems.add(f + ":1: column '" + h + "': no channel column '" + ch + "' for this transform");
  }
  if (m.channels.empty())
    problems.add(f + ":1: no channel column (expected at least one image column such as 'flair')");
  if (t.rows.empty()) problems.add(f + ": no studies (only a header)");

  std::map<std::pair<std::string, std::string>, int> firstLine;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    const auto& row = t.rows[r];
    StudyRow s;
    s.line = t.lines[r];
    const std::string at = f + ":" + std::to_string(s.line) + ": ";
    auto cell = [&](const std::string& name) -> std::string {
      int c = t.column(name);
      return c >= 0 ? row[c] : std::string();
    };
    s.subject = cell("subject");
    s.session = cell("session");
    if (t.column("subject") >= 0 && s.subject.empty()) problems.add(at + "column 'subject': empty");
    for (const auto& ch : m.channels) {
      std::string v = cell(ch);
      if (v.empty()) problems.add(at + "column '" + ch + "': empty, expected an image path");
      s.channels.emplace_back(ch, resolveAgainst(m.dir, v));
      std::string tr = cell(ch + kTransformSuffix);
      if (!tr.empty()) s.transforms[ch] = resolveAgainst(m.dir, tr);
    }
    if (m.hasLabel) {
      std::string v = cell("label");
      if (v.empty()) problems.add(at + "column 'label': empty, expected a mask path");
      s.label = resolveAgainst(m.dir, v);
    }
    if (!cell("brainmask").empty()) s.brainmask = resolveAgainst(m.dir, cell("brainmask"));
    if (!cell("reference").empty()) s.reference = resolveAgainst(m.dir, cell("reference"));
    auto key = std::make_pair(s.subject, s.session);
    auto [it, inserted] = firstLine.emplace(key, s.line);
    if (!inserted && !s.subject.empty())
      problems.add(at + "duplicate study: subject '" + s.subject + "'" +
                   (m.hasSession ? " session '" + s.session + "'" : "") + " already on line " +
                   std::to_string(it->second));
    m.rows.push_back(std::move(s));
  }
  return m;
}

void writeManifest(const fs::path& file, const Manifest& m) {
  const fs::path outDir = fs::absolute(file).parent_path();
  auto rel = [&](const fs::path& p) -> std::string {
    if (p.empty()) return "";
    fs::path a = fs::absolute(p).lexically_normal();
    fs::path r = a.lexically_relative(outDir);
    // Relative when the data sit below or near the manifest (at most two
    // levels up, e.g. data_manifests/ -> ../../shared/...), so the pair can move together.
    int ups = 0;
    for (const auto& part : r) ups += part == "..";
    if (!r.empty() && ups <= 2) return r.string();
    return a.string();
  };
  std::vector<std::string> header = {"subject"};
  if (m.hasSession) header.push_back("session");
  std::vector<std::string> trCols;
  for (const auto& c : m.channels) header.push_back(c);
  for (const auto& c : m.channels) {
    bool any = false;
    for (const auto& r : m.rows) any = any || r.transforms.count(c);
    if (any) trCols.push_back(c);
  }
  for (const auto& c : trCols) header.push_back(c + kTransformSuffix);
  if (m.hasReference) header.push_back("reference");
  if (m.hasLabel) header.push_back("label");
  if (m.hasBrainmask) header.push_back("brainmask");
  std::string out = csvLine(header);
  for (const auto& r : m.rows) {
    std::vector<std::string> fields = {r.subject};
    if (m.hasSession) fields.push_back(r.session);
    for (const auto& c : m.channels) {
      const fs::path* p = r.channel(c);
      fields.push_back(p ? rel(*p) : "");
    }
    for (const auto& c : trCols) fields.push_back(r.transforms.count(c) ? rel(r.transforms.at(c)) : "");
    if (m.hasReference) fields.push_back(rel(r.reference));
    if (m.hasLabel) fields.push_back(rel(r.label));
    if (m.hasBrainmask) fields.push_back(rel(r.brainmask));
    out += csvLine(fields);
  }
  writeTextAtomic(file, out);
}

// ---------------------------------------------------------------- check

namespace {

constexpr size_t kIntensityValues = 10;  // readMaskRaw lists at most 10 values other than 0/1

bool overlaps(const std::array<Vec3, 2>& a, const std::array<Vec3, 2>& b) {
  for (int d = 0; d < 3; ++d)
    if (a[1][d] <= b[0][d] || b[1][d] <= a[0][d]) return false;
  return true;
}

std::array<Vec3, 2> boundsThrough(const Geometry& g, const AffineTransform& t) {
  Vec3 lo{1e300, 1e300, 1e300}, hi{-1e300, -1e300, -1e300};
  for (int c = 0; c < 8; ++c) {
    Vec3 p = g.indexToPhysical((c & 1) ? g.size[0] - 0.5 : -0.5, (c & 2) ? g.size[1] - 0.5 : -0.5,
                               (c & 4) ? g.size[2] - 0.5 : -0.5);
    Vec3 q = t.apply(p);
    for (int d = 0; d < 3; ++d) {
      lo[d] = std::min(lo[d], q[d]);
      hi[d] = std::max(hi[d], q[d]);
    }
  }
  return {lo, hi};
}

struct Loaded {
  bool ok = false;
  Geometry geom;
};

// Checks one manifest row: every file readable, every grid where it must be in physical space.
class RowChecker {
 public:
  RowChecker(const Manifest& m, const StudyRow& row, const CheckOptions& opt, CheckReport& rep)
      : m(m), row(row), opt(opt), rep(rep), at(m.file.string() + ":" + std::to_string(row.line) + ": ") {}

  void run() {
    for (const auto& [name, p] : row.channels) chans.emplace_back(name, loadImage(name, p));
    for (const auto& [name, p] : row.transforms) {
      try {
        transforms[name] = readTransform(p);
      } catch (const InputError& e) {
        problem(name + "_transform", e.what());
      }
    }
    if (!row.reference.empty()) ref = loadImage("reference", row.reference);
    if (m.hasLabel && !row.label.empty()) label = loadMask("label", row.label, true);
    if (!row.brainmask.empty()) brain = loadMask("brainmask", row.brainmask, false);
    checkGrids();
  }

 private:
  void problem(const std::string& col, const std::string& msg) { rep.problems.push_back(at + "column '" + col + "': " + msg); }

  // A file's grid: with readVoxels, `deep` reads and checks the voxels (nullopt after reporting a
  // problem), else only the header is read. An unreadable file is a problem of its column.
  template <class Deep>
  Loaded load(const std::string& col, const fs::path& p, Deep deep) {
    Loaded l;
    if (p.empty() || p == m.dir) return l;  // an empty cell, reported when the manifest was read
    try {
      const std::optional<Geometry> g = opt.readVoxels ? deep() : std::optional<Geometry>(readImageInfo(p).geom);
      l.ok = g.has_value();
      if (g) l.geom = *g;
    } catch (const InputError& e) {
      problem(col, e.what());
    }
    return l;
  }

  Loaded loadImage(const std::string& col, const fs::path& p) {
    return load(col, p, [&]() -> std::optional<Geometry> {
      // The raw scan sees NaN/Inf (ITK's reader zeroes them) and short data.
      VoxelScan scan = scanVoxels(p);
      if (scan.truncated) {
        problem(col, "'" + p.string() + "': truncated: expected " + std::to_string(scan.expectedBytes) +
                         " bytes of voxel data, found " + std::to_string(scan.foundBytes));
        return std::nullopt;
      }
      if (scan.nonFinite) {
        problem(col, "'" + p.string() + "': " + std::to_string(scan.nonFinite) + " NaN/Inf voxels, expected none");
        return std::nullopt;
      }
      return readImage(p).geom;  // full decode through ITK: catches what the scan cannot
    });
  }

  Loaded loadMask(const std::string& col, const fs::path& p, bool emptyIsNote) {
    return load(col, p, [&]() -> std::optional<Geometry> {
      std::vector<double> other;
      MaskVolume v = readMaskRaw(p, &other);
      if (!other.empty()) {
        std::string vals;
        bool fractional = false;
        for (double x : other) {
          std::ostringstream os;
          os << x;
          vals += (vals.empty() ? "" : ", ") + os.str();
          fractional |= x != std::floor(x);
        }
        // A few integer classes are binarised; many values, or fractions, are an intensity image.
        if (fractional || other.size() >= kIntensityValues)
          problem(col, "'" + p.string() + "' looks like an intensity image, not a mask: values other than 0/1 include " +
                           vals + (other.size() >= kIntensityValues ? ", ..." : "") +
                           "; expected a binary lesion mask (0 = background, nonzero = lesion)");
        else
          rep.notes.push_back(at + "column '" + col + "': '" + p.string() + "' has values other than 0/1 (" + vals +
                              "); it will be binarised as nonzero = lesion");
      }
      int64_t n = 0;
      for (auto x : v.data) n += x;
      if (n == 0) {
        if (emptyIsNote) rep.notes.push_back(at + "column '" + col + "': '" + p.string() + "' is empty (no lesion voxels)");
        else problem(col, "'" + p.string() + "' is empty, expected a nonempty mask");
      }
      return v.geom;
    });
  }

  // Channels must overlap the target grid (through their transforms); masks must lie on it.
  void checkGrids() {
    // The grid everything is brought onto: the reference, else the first channel.
    const bool haveRef = !row.reference.empty();
    const Loaded target = haveRef ? ref : (chans.empty() ? Loaded{} : chans.front().second);
    const std::string targetName = haveRef ? "reference" : (chans.empty() ? "" : chans.front().first);
    if (!target.ok) return;
    const auto targetBounds = target.geom.physicalBounds();
    for (const auto& [name, l] : chans) {
      if (!l.ok) continue;
      auto it = transforms.find(name);
      const bool hasTr = row.transforms.count(name) > 0;
      if (hasTr && it == transforms.end()) continue;  // unreadable transform, already reported
      const auto mapped = hasTr ? boundsThrough(target.geom, it->second) : targetBounds;
      if (!overlaps(mapped, l.geom.physicalBounds()))
        problem(name, "'" + row.channel(name)->string() + "' does not overlap the " + targetName + " grid in physical space" +
                          (hasTr ? " through its transform" : "") + " (image " + l.geom.describe() + ", " +
                          targetName + " " + target.geom.describe() + ")");
    }
    // Masks live on the target grid; without a reference they must match the first channel exactly.
    for (auto* mk : {&label, &brain}) {
      if (!mk->ok) continue;
      const std::string col = mk == &label ? "label" : "brainmask";
      if (!haveRef && row.transforms.empty()) {
        if (!mk->geom.sameGrid(target.geom))
          problem(col, "grid differs from channel '" + targetName + "' and no transform or reference is given: expected " +
                           target.geom.describe() + ", found " + mk->geom.describe());
      } else if (!overlaps(mk->geom.physicalBounds(), targetBounds)) {
        problem(col, "does not overlap the " + targetName + " grid in physical space");
      }
    }
  }

  const Manifest& m;
  const StudyRow& row;
  const CheckOptions& opt;
  CheckReport& rep;
  const std::string at;
  std::vector<std::pair<std::string, Loaded>> chans;
  std::map<std::string, AffineTransform> transforms;
  Loaded ref, label, brain;
};

}  // namespace

CheckReport checkManifest(const Manifest& m, const CheckOptions& opt) {
  CheckReport rep;
  rep.studies = static_cast<int>(m.rows.size());
  const std::string f = m.file.string();
  for (const auto& c : opt.requiredChannels)
    if (std::find(m.channels.begin(), m.channels.end(), c) == m.channels.end())
      rep.problems.push_back(f + ":1: channel '" + c + "' required but the manifest has no such column");
  if (opt.requireLabel && !m.hasLabel) rep.problems.push_back(f + ":1: column 'label' required");

  std::unique_ptr<Progress> progress;
  if (opt.progress && m.rows.size() > 3) progress = std::make_unique<Progress>("manifest check", m.rows.size());
  int done = 0;
  for (const auto& row : m.rows) {
    RowChecker(m, row, opt, rep).run();
    if (progress) progress->update(++done);
  }
  if (progress) progress->finish();
  return rep;
}

// ---------------------------------------------------------------- scan layouts

std::vector<std::pair<std::string, std::string>> layouts() {
  return {
      {"open_ms_longitudinal",
       "Ljubljana longitudinal MS database: ROOT/patientNN/{study1_FLAIR,study2_FLAIR}.nii.gz with "
       "studyN_FLAIR_to_common_space.txt, gt.nii.gz, brainmask.nii.gz -> flair_prior, flair (+transforms), "
       "reference=gt, label=gt, brainmask"},
      {"open_ms_cross_sectional",
       "Ljubljana cross-sectional MS database: ROOT/patientNN/{FLAIR,T1,T1POST,T2,consensus_gt}.nii.gz -> "
       "flair, t1, t1post, t2, label"},
      {"nnunet",
       "nnU-Net raw dataset: ROOT/dataset.json, imagesTr/CASE_XXXX.nii.gz, labelsTr/CASE.nii.gz; channel names "
       "from dataset.json (lower-cased)"},
      {"nnunet_test",
       "nnU-Net raw dataset, its test cases: ROOT/dataset.json, imagesTs/CASE_XXXX.nii.gz (and labelsTs/CASE.nii.gz "
       "where that folder exists)"},
  };
}

}  // namespace mst::io
