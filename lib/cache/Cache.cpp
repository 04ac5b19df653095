#include "lib/cache/Cache.h"

#include <hdf5.h>
#include <unistd.h>
#include <libdeflate.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <thread>

#include "lib/config/Json.h"
#include "lib/core/Error.h"
#include "lib/core/FileLock.h"
#include "lib/core/Fs.h"
#include "lib/core/Hash.h"
#include "lib/core/Log.h"
#include "lib/core/Parallel.h"
#include "lib/core/Progress.h"
#include "lib/core/Version.h"
#include "lib/metrics/Components.h"

namespace mst::cache {

namespace {

// Debian's HDF5 is thread-safe with one global lock; this mutex makes the
// serialisation explicit (and keeps us safe with a non-thread-safe build).
std::mutex& h5Mutex() {
  static std::mutex m;
  return m;
}

// Silence HDF5's automatic error stack printing: errors are reported by us.
struct H5Quiet {
  H5Quiet() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }
};
const H5Quiet kQuiet;

class H5Handle {  // closes any HDF5 identifier
 public:
  H5Handle() = default;
  explicit H5Handle(hid_t id) : id_(id) {}
  ~H5Handle() { reset(); }
  H5Handle(H5Handle&& o) noexcept : id_(o.id_) { o.id_ = -1; }
  H5Handle& operator=(H5Handle&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = o.id_;
      o.id_ = -1;
    }
    return *this;
  }
  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }
  void reset() {
    if (id_ >= 0) H5Idec_ref(id_);
    id_ = -1;
  }

 private:
  hid_t id_ = -1;
};

hid_t halfType() {
  static hid_t t = [] {
    hid_t h = H5Tcopy(H5T_IEEE_F32LE);
    H5Tset_fields(h, 15, 10, 5, 0, 10);
    H5Tset_size(h, 2);
    H5Tset_ebias(h, 15);
    return h;
  }();
  return t;
}

void check(herr_t r, const std::string& what) {
  if (r < 0) throw Error("HDF5: " + what + " failed");
}

void writeAttrString(hid_t obj, const char* name, const std::string& v) {
  H5Handle type(H5Tcopy(H5T_C_S1));
  H5Tset_size(type.get(), std::max<size_t>(1, v.size()));
  H5Handle space(H5Screate(H5S_SCALAR));
  H5Handle a(H5Acreate2(obj, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT));
  check(H5Awrite(a.get(), type.get(), v.empty() ? "" : v.data()), std::string("write attribute ") + name);
}

std::string readAttrString(hid_t obj, const char* name) {
  if (H5Aexists(obj, name) <= 0) return "";
  H5Handle a(H5Aopen(obj, name, H5P_DEFAULT));
  H5Handle type(H5Aget_type(a.get()));
  const size_t n = H5Tget_size(type.get());
  std::string s(n, '\0');
  H5Handle mem(H5Tcopy(H5T_C_S1));
  H5Tset_size(mem.get(), n);
  if (H5Aread(a.get(), mem.get(), &s[0]) < 0) return "";
  while (!s.empty() && s.back() == '\0') s.pop_back();
  return s;
}

void writeAttrDoubles(hid_t obj, const char* name, const std::vector<double>& v) {
  hsize_t n = v.size();
  H5Handle space(H5Screate_simple(1, &n, nullptr));
  H5Handle a(H5Acreate2(obj, name, H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT));
  check(H5Awrite(a.get(), H5T_NATIVE_DOUBLE, v.data()), std::string("write attribute ") + name);
}

std::vector<double> readAttrDoubles(hid_t obj, const char* name) {
  if (H5Aexists(obj, name) <= 0) return {};
  H5Handle a(H5Aopen(obj, name, H5P_DEFAULT));
  H5Handle space(H5Aget_space(a.get()));
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  std::vector<double> v(static_cast<size_t>(std::max<hssize_t>(0, n)));
  if (n > 0) H5Aread(a.get(), H5T_NATIVE_DOUBLE, v.data());
  return v;
}

std::vector<double> geomToVec(const Geometry& g) {
  std::vector<double> v;
  for (int a = 0; a < 3; ++a) v.push_back(static_cast<double>(g.size[a]));
  for (int a = 0; a < 3; ++a) v.push_back(g.spacing[a]);
  for (int a = 0; a < 3; ++a) v.push_back(g.origin[a]);
  for (int a = 0; a < 9; ++a) v.push_back(g.direction[a]);
  return v;
}

Geometry vecToGeom(const std::vector<double>& v) {
  Geometry g;
  if (v.size() < 18) return g;
  for (int a = 0; a < 3; ++a) g.size[a] = static_cast<int64_t>(v[a]);
  for (int a = 0; a < 3; ++a) g.spacing[a] = v[3 + a];
  for (int a = 0; a < 3; ++a) g.origin[a] = v[6 + a];
  for (int a = 0; a < 9; ++a) g.direction[a] = v[9 + a];
  return g;
}

// Creates a chunked, shuffled, deflated dataset and writes `data`.
void writeChunked(hid_t group, const char* name, hid_t fileType, hid_t memType, const std::vector<hsize_t>& dims,
                  const std::vector<hsize_t>& chunk, const void* data) {
  H5Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr));
  H5Handle dcpl(H5Pcreate(H5P_DATASET_CREATE));
  check(H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data()), "set chunk");
  check(H5Pset_shuffle(dcpl.get()), "set shuffle");
  check(H5Pset_deflate(dcpl.get(), 1), "set deflate");
  H5Handle d(H5Dcreate2(group, name, fileType, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT));
  if (!d.ok()) throw Error(std::string("HDF5: cannot create dataset ") + name);
  check(H5Dwrite(d.get(), memType, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), std::string("write ") + name);
}

void writePlain(hid_t group, const char* name, hid_t fileType, hid_t memType, const std::vector<hsize_t>& dims,
                const void* data) {
  H5Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr));
  H5Handle d(H5Dcreate2(group, name, fileType, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  if (!d.ok()) throw Error(std::string("HDF5: cannot create dataset ") + name);
  if (dims[0] > 0) check(H5Dwrite(d.get(), memType, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), std::string("write ") + name);
}

template <class T>
std::vector<T> readPlain(hid_t group, const char* name, hid_t memType) {
  if (H5Lexists(group, name, H5P_DEFAULT) <= 0) return {};
  H5Handle d(H5Dopen2(group, name, H5P_DEFAULT));
  H5Handle space(H5Dget_space(d.get()));
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  std::vector<T> v(static_cast<size_t>(std::max<hssize_t>(0, n)));
  if (n > 0) check(H5Dread(d.get(), memType, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), std::string("read ") + name);
  return v;
}

std::string fileIdentity(const std::filesystem::path& p) {
  const FileStamp s = fileStamp(p);
  return p.string() + "@" + std::to_string(s.size) + ":" + std::to_string(s.mtimeNs);
}

std::string inputsOf(const io::StudyRow& row) {
  std::string s;
  for (const auto& [n, p] : row.channels) s += n + "=" + fileIdentity(p) + ";";
  for (const auto& [n, p] : row.transforms) s += n + "_transform=" + fileIdentity(p) + ";";
  if (!row.label.empty()) s += "label=" + fileIdentity(row.label) + ";";
  if (!row.brainmask.empty()) s += "brainmask=" + fileIdentity(row.brainmask) + ";";
  if (!row.reference.empty()) s += "reference=" + fileIdentity(row.reference) + ";";
  return s;
}

// Writes one preprocessed study into group /studies/<id>.
void writeStudy(hid_t file, const io::StudyRow& row, const preprocess::Study& st, const std::string& key,
                const preprocess::PreprocessConfig& cfg) {
  H5Handle studies(H5Gopen2(file, "studies", H5P_DEFAULT));
  H5Handle g(H5Gcreate2(studies.get(), row.id().c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  if (!g.ok()) throw Error("HDF5: cannot create group for study " + row.id());
  const Size3 sz = st.brainmask.geom.size;
  const hsize_t C = st.channels.size(), Z = sz[2], Y = sz[1], X = sz[0];
  const hsize_t cz = std::min<hsize_t>(Z, cfg.chunk[2]), cy = std::min<hsize_t>(Y, cfg.chunk[1]),
                cx = std::min<hsize_t>(X, cfg.chunk[0]);
  std::vector<float> img(C * Z * Y * X);
  for (size_t c = 0; c < C; ++c) std::copy(st.channels[c].data.begin(), st.channels[c].data.end(), img.begin() + c * Z * Y * X);
  const hid_t ftype = cfg.storage == "float16" ? halfType() : H5T_IEEE_F32LE;
  writeChunked(g.get(), "image", ftype, H5T_NATIVE_FLOAT, {C, Z, Y, X}, {C, cz, cy, cx}, img.data());
  if (!st.label.data.empty())
    writeChunked(g.get(), "label", H5T_STD_U8LE, H5T_NATIVE_UINT8, {Z, Y, X}, {cz, cy, cx}, st.label.data.data());
  writeChunked(g.get(), "brainmask", H5T_STD_U8LE, H5T_NATIVE_UINT8, {Z, Y, X}, {cz, cy, cx}, st.brainmask.data.data());
  // Sampling aids: lesion voxels, lesion centres, a subsample of brain voxels.
  std::vector<int32_t> lv, bv;
  std::vector<double> centres;
  int nLesions = 0;
  if (!st.label.data.empty()) {
    int64_t total = 0;
    for (auto v : st.label.data) total += v;
    const int64_t stride = std::max<int64_t>(1, (total + 49999) / 50000);
    int64_t seen = 0;
    for (int64_t k = 0; k < static_cast<int64_t>(Z); ++k)
      for (int64_t j = 0; j < static_cast<int64_t>(Y); ++j)
        for (int64_t i = 0; i < static_cast<int64_t>(X); ++i)
          if (st.label.at(i, j, k) && (seen++ % stride) == 0) {
            lv.push_back(static_cast<int32_t>(i));
            lv.push_back(static_cast<int32_t>(j));
            lv.push_back(static_cast<int32_t>(k));
          }
    auto comps = metrics::labelComponents(st.label, 26);
    nLesions = comps.count();
    std::vector<std::array<double, 3>> sum(static_cast<size_t>(nLesions) + 1, {0, 0, 0});
    for (int64_t k = 0; k < static_cast<int64_t>(Z); ++k)
      for (int64_t j = 0; j < static_cast<int64_t>(Y); ++j)
        for (int64_t i = 0; i < static_cast<int64_t>(X); ++i) {
          const int32_t l = comps.labels[st.label.index(i, j, k)];
          if (l) {
            sum[l][0] += i;
            sum[l][1] += j;
            sum[l][2] += k;
          }
        }
    for (int l = 1; l <= nLesions; ++l)
      for (int a = 0; a < 3; ++a) centres.push_back(sum[l][a] / comps.voxels[l]);
  }
  for (int64_t k = 0; k < static_cast<int64_t>(Z); k += 2)
    for (int64_t j = 0; j < static_cast<int64_t>(Y); j += 2)
      for (int64_t i = 0; i < static_cast<int64_t>(X); i += 2)
        if (st.brainmask.at(i, j, k)) {
          bv.push_back(static_cast<int32_t>(i));
          bv.push_back(static_cast<int32_t>(j));
          bv.push_back(static_cast<int32_t>(k));
        }
  writePlain(g.get(), "lesion_voxels", H5T_STD_I32LE, H5T_NATIVE_INT32, {lv.size() / 3, 3}, lv.data());
  writePlain(g.get(), "lesion_centres", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {centres.size() / 3, 3}, centres.data());
  writePlain(g.get(), "brain_voxels", H5T_STD_I32LE, H5T_NATIVE_INT32, {bv.size() / 3, 3}, bv.data());
  writeAttrString(g.get(), "subject", row.subject);
  writeAttrString(g.get(), "session", row.session);
  writeAttrString(g.get(), "key", key);
  writeAttrString(g.get(), "inputs", inputsOf(row));
  writeAttrDoubles(g.get(), "reference_grid", geomToVec(st.mapping.reference));
  writeAttrDoubles(g.get(), "resampled_grid", geomToVec(st.mapping.resampled));
  writeAttrDoubles(g.get(), "final_grid", geomToVec(st.mapping.final));
  writeAttrDoubles(g.get(), "crop_start", {static_cast<double>(st.mapping.cropStart[0]),
                                           static_cast<double>(st.mapping.cropStart[1]),
                                           static_cast<double>(st.mapping.cropStart[2])});
  std::vector<double> norm;
  for (const auto& n : st.normalization) {
    norm.push_back(n[0]);
    norm.push_back(n[1]);
  }
  writeAttrDoubles(g.get(), "normalization_mean_sd", norm);
  writeAttrDoubles(g.get(), "counts", {static_cast<double>(lv.size() / 3), static_cast<double>(nLesions)});
}

StudyMeta readMeta(hid_t studies, const std::string& id) {
  H5Handle g(H5Gopen2(studies, id.c_str(), H5P_DEFAULT));
  if (!g.ok()) throw Error("study group '" + id + "' unreadable");
  StudyMeta m;
  m.id = id;
  m.subject = readAttrString(g.get(), "subject");
  m.session = readAttrString(g.get(), "session");
  m.key = readAttrString(g.get(), "key");
  m.mapping.reference = vecToGeom(readAttrDoubles(g.get(), "reference_grid"));
  m.mapping.resampled = vecToGeom(readAttrDoubles(g.get(), "resampled_grid"));
  m.mapping.final = vecToGeom(readAttrDoubles(g.get(), "final_grid"));
  auto crop = readAttrDoubles(g.get(), "crop_start");
  for (size_t a = 0; a < 3 && a < crop.size(); ++a) m.mapping.cropStart[a] = static_cast<int64_t>(crop[a]);
  auto norm = readAttrDoubles(g.get(), "normalization_mean_sd");
  for (size_t i = 0; i + 1 < norm.size(); i += 2) m.normalization.push_back({norm[i], norm[i + 1]});
  auto counts = readAttrDoubles(g.get(), "counts");
  if (counts.size() == 2) {
    m.lesionVoxels = static_cast<int64_t>(counts[0]);
    m.lesions = static_cast<int>(counts[1]);
  }
  m.size = m.mapping.final.size;
  m.hasLabel = H5Lexists(g.get(), "label", H5P_DEFAULT) > 0;
  if (H5Lexists(g.get(), "image", H5P_DEFAULT) <= 0 || H5Lexists(g.get(), "brainmask", H5P_DEFAULT) <= 0 ||
      m.key.empty() || m.size[0] <= 0)
    throw Error("study '" + id + "' is incomplete");
  H5Handle d(H5Dopen2(g.get(), "image", H5P_DEFAULT));
  H5Handle space(H5Dget_space(d.get()));
  hsize_t dims[4] = {0, 0, 0, 0};
  if (H5Sget_simple_extent_ndims(space.get()) != 4) throw Error("study '" + id + "': image is not 4-D");
  H5Sget_simple_extent_dims(space.get(), dims, nullptr);
  m.channels = static_cast<int>(dims[0]);
  if (static_cast<int64_t>(dims[3]) != m.size[0] || static_cast<int64_t>(dims[2]) != m.size[1] ||
      static_cast<int64_t>(dims[1]) != m.size[2])
    throw Error("study '" + id + "': image shape disagrees with its grid");
  return m;
}

std::vector<std::string> listGroup(hid_t group) {
  std::vector<std::string> names;
  H5Literate(
      group, H5_INDEX_NAME, H5_ITER_INC, nullptr,
      [](hid_t, const char* name, const H5L_info_t*, void* out) -> herr_t {
        static_cast<std::vector<std::string>*>(out)->push_back(name);
        return 0;
      },
      &names);
  return names;
}

struct OpenCache {
  H5Handle file;
  std::string config;
  std::map<std::string, std::string> keys;  // id -> key
};

// Opens and validates; returns an error text instead of throwing.
std::string openCache(const std::filesystem::path& path, OpenCache& out) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return "file not found";
  if (H5Fis_hdf5(path.c_str()) <= 0) return "not an HDF5 file (truncated or corrupt)";
  out.file = H5Handle(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  if (!out.file.ok()) return "HDF5 cannot open it (truncated or corrupt)";
  hid_t f = out.file.get();
  if (readAttrString(f, "complete") != "1") return "incomplete (the build that wrote it did not finish)";
  const std::string version = readAttrString(f, "format_version");
  if (version != std::to_string(kFormatVersion))
    return "format version " + (version.empty() ? std::string("unknown") : version) + ", expected " +
           std::to_string(kFormatVersion);
  out.config = readAttrString(f, "config");
  H5Handle studies(H5Gopen2(f, "studies", H5P_DEFAULT));
  if (!studies.ok()) return "no /studies group";
  for (const auto& id : listGroup(studies.get())) {
    H5Handle g(H5Gopen2(studies.get(), id.c_str(), H5P_DEFAULT));
    if (!g.ok()) return "study '" + id + "' unreadable";
    out.keys[id] = readAttrString(g.get(), "key");
  }
  return "";
}

}  // namespace

// The settings as stored in the cache and hashed into study keys: the identity JSON.
std::string configText(const preprocess::PreprocessConfig& cfg) { return config::toJson(cfg, true).dump(); }

std::string studyKey(const io::StudyRow& row, const preprocess::PreprocessConfig& cfg) {
  return Hasher().str(configText(cfg)).str(row.id()).str(inputsOf(row)).u64(kFormatVersion).hex();
}

std::string validateCacheFile(const std::filesystem::path& file) {
  std::lock_guard<std::mutex> lock(h5Mutex());
  OpenCache oc;
  return openCache(file, oc);
}

BuildReport buildCache(const io::Manifest& manifest, const preprocess::PreprocessConfig& cfg,
                       const std::filesystem::path& file, const BuildOptions& options) {
  cfg.validate("preprocess: ");
  manifest.requireChannels(cfg.channels);
  const auto t0 = std::chrono::steady_clock::now();
  BuildReport rep;
  rep.total = static_cast<int>(manifest.rows.size());
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
  FileLock lock(file.string() + ".lock");  // one builder at a time; others wait, then find a hit

  std::vector<std::string> keys;
  for (const auto& r : manifest.rows) keys.push_back(studyKey(r, cfg));

  OpenCache old;
  std::string why;
  {
    std::lock_guard<std::mutex> l(h5Mutex());
    why = std::filesystem::exists(file) ? openCache(file, old) : "absent";
  }
  if (!why.empty() && why != "absent") {
    rep.rebuiltCorrupt = true;
    rep.corruptReason = why;
    log::warn("cache '", file.string(), "' is not usable (", why, "); rebuilding it");
    old = OpenCache{};
  }
  // The channel set is part of a cache's identity: a cache of other channels is never rewritten
  // (e.g. a FLAIR-only model predicted through a 4-channel cache would destroy it).
  if (why.empty()) {
    auto channelsOf = [](const std::string& configJson) {
      const auto j = nlohmann::json::parse(configJson, nullptr, false);
      std::string list;
      if (j.is_object() && j.contains("channels") && j["channels"].is_array())
        for (const auto& c : j["channels"]) list += (list.empty() ? "" : ", ") + c.get<std::string>();
      return list.empty() ? std::string("?") : list;
    };
    if (channelsOf(old.config) != channelsOf(configText(cfg)))
      throw InputError("cache '" + file.string() + "' holds other channels (" + channelsOf(old.config) +
                       ") than this needs (" + channelsOf(configText(cfg)) +
                       "); give another cache path (--cache): a cache is never rewritten under another channel set");
  }
  std::vector<bool> reuse(manifest.rows.size(), false);
  bool all = why.empty() && old.config == configText(cfg) && old.keys.size() == manifest.rows.size();
  for (size_t i = 0; i < manifest.rows.size(); ++i) {
    auto it = old.keys.find(manifest.rows[i].id());
    reuse[i] = why.empty() && it != old.keys.end() && it->second == keys[i];
    all = all && reuse[i];
  }
  if (all) {
    rep.upToDate = true;
    rep.reused = rep.total;
    rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return rep;
  }

  AtomicOutput out(file);
  {
    std::lock_guard<std::mutex> l(h5Mutex());
    H5Handle f(H5Fcreate(out.tempPath().c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
    if (!f.ok()) throw Error("cannot create cache '" + out.tempPath().string() + "'");
    H5Handle g(H5Gcreate2(f.get(), "studies", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    writeAttrString(f.get(), "format_version", std::to_string(kFormatVersion));
    writeAttrString(f.get(), "complete", "0");
    writeAttrString(f.get(), "config", configText(cfg));
    writeAttrString(f.get(), "config_hash", hex64(hashString(configText(cfg))));
    std::string chans;
    for (const auto& c : cfg.channels) chans += (chans.empty() ? "" : ",") + c;
    writeAttrString(f.get(), "channels", chans);
    writeAttrString(f.get(), "mstransfer_version", version());
    writeAttrString(f.get(), "git_commit", gitCommit());
    writeAttrString(f.get(), "libraries", libraryVersions());
  }
  H5Handle outFile;
  {
    std::lock_guard<std::mutex> l(h5Mutex());
    outFile = H5Handle(H5Fopen(out.tempPath().c_str(), H5F_ACC_RDWR, H5P_DEFAULT));
    if (!outFile.ok()) throw Error("cannot reopen cache '" + out.tempPath().string() + "'");
    // Copy the studies whose key is unchanged.
    for (size_t i = 0; i < manifest.rows.size(); ++i) {
      if (!reuse[i]) continue;
      const std::string src = "studies/" + manifest.rows[i].id();
      check(H5Ocopy(old.file.get(), src.c_str(), outFile.get(), src.c_str(), H5P_DEFAULT, H5P_DEFAULT),
            "copy study " + manifest.rows[i].id());
      ++rep.reused;
    }
    old.file.reset();
  }
  // Preprocess the others in parallel; HDF5 writes are serialised.
  std::vector<size_t> pending;
  for (size_t i = 0; i < manifest.rows.size(); ++i)
    if (!reuse[i]) pending.push_back(i);
  std::unique_ptr<Progress> bar;
  if (options.progress) bar = std::make_unique<Progress>("preprocess", static_cast<int64_t>(pending.size()));
  std::atomic<int> done{0};
  std::mutex barMu;
  const int nThreads = std::max(1, std::min<int>(options.threads, static_cast<int>(pending.size())));
  preprocess::setThreads(std::max(1, options.threads / nThreads));
  try {
    parallelFor(pending.size(), nThreads, [&](size_t t) {
      const auto& row = manifest.rows[pending[t]];
      preprocess::Study st = preprocess::preprocessStudy(row, cfg);
      {
        std::lock_guard<std::mutex> l(h5Mutex());
        writeStudy(outFile.get(), row, st, keys[pending[t]], cfg);
      }
      const int d = ++done;
      std::lock_guard<std::mutex> l(barMu);
      if (bar) bar->update(d);
    });
  } catch (...) {
    std::lock_guard<std::mutex> l(h5Mutex());
    outFile.reset();
    throw;  // AtomicOutput removes the temporary file
  }
  if (bar) bar->finish();
  rep.built = static_cast<int>(pending.size());
  {
    std::lock_guard<std::mutex> l(h5Mutex());
    H5Adelete(outFile.get(), "complete");
    writeAttrString(outFile.get(), "complete", "1");
    check(H5Fflush(outFile.get(), H5F_SCOPE_GLOBAL), "flush");
    outFile.reset();
  }
  out.commit();
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return rep;
}

// ---------------------------------------------------------------- reader

struct CacheReader::Dataset {
  H5Handle id;
  std::vector<hsize_t> dims, chunk;  // as stored: image [C,Z,Y,X], masks [Z,Y,X]
  size_t elemSize = 1;
  bool half = false;
  size_t chunkBytes = 0;
};

size_t CacheReader::KeyHash::operator()(const Key& k) const {
  uint64_t h = 1469598103934665603ULL;
  for (auto v : k) h = (h ^ static_cast<uint64_t>(v)) * 1099511628211ULL;
  return static_cast<size_t>(h);
}

CacheReader::CacheReader(const std::filesystem::path& file, size_t chunkCacheBytes)
    : file_(file), capacity_(chunkCacheBytes) {
  std::lock_guard<std::mutex> l(h5Mutex());
  OpenCache oc;
  const std::string why = openCache(file, oc);
  if (!why.empty()) throw Error("cache '" + file.string() + "': " + why + " (run 'mstransfer preprocess' to build it)");
  config_ = oc.config;
  const std::string chans = readAttrString(oc.file.get(), "channels");
  size_t p = 0;
  while (p <= chans.size()) {
    size_t q = chans.find(',', p);
    if (q == std::string::npos) q = chans.size();
    if (q > p) channels_.push_back(chans.substr(p, q - p));
    p = q + 1;
  }
  H5Handle studies(H5Gopen2(oc.file.get(), "studies", H5P_DEFAULT));
  for (const auto& [id, key] : oc.keys) {
    try {
      studies_.push_back(readMeta(studies.get(), id));
    } catch (const Error& e) {
      throw Error("cache '" + file.string() + "': " + e.what());
    }
    std::array<std::unique_ptr<Dataset>, 3> ds;
    const char* names[3] = {"image", "label", "brainmask"};
    H5Handle g(H5Gopen2(studies.get(), id.c_str(), H5P_DEFAULT));
    for (int w = 0; w < 3; ++w) {
      if (H5Lexists(g.get(), names[w], H5P_DEFAULT) <= 0) continue;
      auto d = std::make_unique<Dataset>();
      d->id = H5Handle(H5Dopen2(g.get(), names[w], H5P_DEFAULT));
      H5Handle space(H5Dget_space(d->id.get()));
      const int nd = H5Sget_simple_extent_ndims(space.get());
      d->dims.resize(nd);
      d->chunk.resize(nd);
      H5Sget_simple_extent_dims(space.get(), d->dims.data(), nullptr);
      H5Handle dcpl(H5Dget_create_plist(d->id.get()));
      H5Pget_chunk(dcpl.get(), nd, d->chunk.data());
      H5Handle type(H5Dget_type(d->id.get()));
      d->elemSize = H5Tget_size(type.get());
      d->half = w == 0 && d->elemSize == 2;
      d->chunkBytes = d->elemSize;
      for (auto c : d->chunk) d->chunkBytes *= c;
      ds[w] = std::move(d);
    }
    datasets_.push_back(std::move(ds));
  }
  fileId_ = oc.file.get();
  H5Iinc_ref(oc.file.get());  // keep the file open for the reader's lifetime
}

CacheReader::~CacheReader() {
  std::lock_guard<std::mutex> l(h5Mutex());
  datasets_.clear();
  if (fileId_ >= 0) H5Idec_ref(fileId_);
}

int CacheReader::indexOf(const std::string& id) const {
  for (size_t i = 0; i < studies_.size(); ++i)
    if (studies_[i].id == id) return static_cast<int>(i);
  return -1;
}

CacheReader::Stats CacheReader::stats() const {
  std::lock_guard<std::mutex> l(cacheMutex_);
  return stats_;
}

std::shared_ptr<const std::vector<uint8_t>> CacheReader::chunk(int study, int which,
                                                               const std::array<int64_t, 3>& ci) const {
  const Key key{study, which, ci[0], ci[1], ci[2]};
  {
    std::lock_guard<std::mutex> l(cacheMutex_);
    auto it = index_.find(key);
    if (it != index_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);
      ++stats_.chunkHits;
      return it->second->second;
    }
  }
  const Dataset& d = *datasets_[study][which];
  // Chunk offset in dataset coordinates (image: channel axis first, one chunk spans all channels).
  std::vector<hsize_t> offset(d.dims.size(), 0);
  const size_t nd = d.dims.size();
  offset[nd - 1] = static_cast<hsize_t>(ci[0]) * d.chunk[nd - 1];
  offset[nd - 2] = static_cast<hsize_t>(ci[1]) * d.chunk[nd - 2];
  offset[nd - 3] = static_cast<hsize_t>(ci[2]) * d.chunk[nd - 3];
  std::vector<uint8_t> raw;
  uint32_t filterMask = 0;
  {
    std::lock_guard<std::mutex> l(h5Mutex());
    hsize_t nbytes = 0;
    if (H5Dget_chunk_storage_size(d.id.get(), offset.data(), &nbytes) < 0)
      throw Error("cache '" + file_.string() + "': cannot locate chunk (corrupt file?)");
    raw.resize(nbytes);
    if (H5Dread_chunk(d.id.get(), H5P_DEFAULT, offset.data(), &filterMask, raw.data()) < 0)
      throw Error("cache '" + file_.string() + "': cannot read chunk (corrupt file?)");
  }
  // Filters: 0 = shuffle, 1 = deflate; a set bit means the filter was skipped for this chunk.
  auto out = std::make_shared<std::vector<uint8_t>>(d.chunkBytes);
  std::vector<uint8_t> inflated;
  const uint8_t* src = raw.data();
  if (!(filterMask & 2u)) {
    // libdeflate inflates the zlib stream HDF5's deflate filter wrote, about 2-3x faster than zlib.
    thread_local std::unique_ptr<libdeflate_decompressor, void (*)(libdeflate_decompressor*)> dec(
        libdeflate_alloc_decompressor(), libdeflate_free_decompressor);
    inflated.resize(d.chunkBytes);
    size_t len = 0;
    if (libdeflate_zlib_decompress(dec.get(), raw.data(), raw.size(), inflated.data(), d.chunkBytes, &len) !=
            LIBDEFLATE_SUCCESS ||
        len != d.chunkBytes)
      throw Error("cache '" + file_.string() + "': corrupt compressed chunk");
    src = inflated.data();
  }
  if (!(filterMask & 1u) && d.elemSize > 1) {
    const size_t n = d.chunkBytes / d.elemSize;
    for (size_t b = 0; b < d.elemSize; ++b)
      for (size_t i = 0; i < n; ++i) (*out)[i * d.elemSize + b] = src[b * n + i];
  } else {
    std::memcpy(out->data(), src, d.chunkBytes);
  }
  std::lock_guard<std::mutex> l(cacheMutex_);
  ++stats_.chunkReads;
  stats_.bytesRead += static_cast<int64_t>(raw.size());
  auto it = index_.find(key);
  if (it != index_.end()) return it->second->second;  // another thread was faster
  lru_.emplace_front(key, out);
  index_[key] = lru_.begin();
  used_ += d.chunkBytes;
  while (used_ > capacity_ && lru_.size() > 1) {
    used_ -= lru_.back().second->size();
    index_.erase(lru_.back().first);
    lru_.pop_back();
  }
  return out;
}

void CacheReader::readRegion(int study, const std::array<int64_t, 3>& start, const Size3& size, float* image,
                             uint8_t* label, uint8_t* brain) const {
  const StudyMeta& m = studies_.at(static_cast<size_t>(study));
  const int64_t X = m.size[0], Y = m.size[1], Z = m.size[2], C = m.channels;
  const int64_t sx = size[0], sy = size[1], sz = size[2];
  const int64_t plane = sx * sy * sz;
  if (image) std::fill(image, image + C * plane, 0.0f);
  if (label) std::fill(label, label + plane, 0);
  if (brain) std::fill(brain, brain + plane, 0);
  int64_t lo[3], hi[3];
  for (int a = 0; a < 3; ++a) {
    lo[a] = std::max<int64_t>(0, start[a]);
    hi[a] = std::min<int64_t>(m.size[a], start[a] + size[a]);
    if (hi[a] <= lo[a]) return;  // no overlap: all padding
  }
  const Dataset& di = *datasets_[study][0];
  const int64_t cx = di.chunk[3], cy = di.chunk[2], cz = di.chunk[1];
  (void)X;
  (void)Y;
  (void)Z;
  for (int64_t kz = lo[2] / cz; kz * cz < hi[2]; ++kz)
    for (int64_t ky = lo[1] / cy; ky * cy < hi[1]; ++ky)
      for (int64_t kx = lo[0] / cx; kx * cx < hi[0]; ++kx) {
        const std::array<int64_t, 3> ci{kx, ky, kz};
        // Overlap of this chunk with the requested region.
        const int64_t x0 = std::max(lo[0], kx * cx), x1 = std::min(hi[0], (kx + 1) * cx);
        const int64_t y0 = std::max(lo[1], ky * cy), y1 = std::min(hi[1], (ky + 1) * cy);
        const int64_t z0 = std::max(lo[2], kz * cz), z1 = std::min(hi[2], (kz + 1) * cz);
        if (image) {
          auto ch = chunk(study, 0, ci);
          for (int64_t c = 0; c < C; ++c)
            for (int64_t z = z0; z < z1; ++z)
              for (int64_t y = y0; y < y1; ++y) {
                const size_t srcBase = static_cast<size_t>(((c * cz + (z - kz * cz)) * cy + (y - ky * cy)) * cx);
                float* dst = image + c * plane + ((z - start[2]) * sy + (y - start[1])) * sx - start[0];
                if (di.half) {
                  const auto* h = reinterpret_cast<const uint16_t*>(ch->data());
                  for (int64_t x = x0; x < x1; ++x) dst[x] = halfToFloat(h[srcBase + (x - kx * cx)]);
                } else {
                  std::memcpy(dst + x0, reinterpret_cast<const float*>(ch->data()) + srcBase + (x0 - kx * cx),
                              static_cast<size_t>(x1 - x0) * sizeof(float));
                }
              }
        }
        for (int w = 1; w <= 2; ++w) {
          uint8_t* out = w == 1 ? label : brain;
          if (!out || !datasets_[study][w]) continue;
          auto ch = chunk(study, w, ci);
          for (int64_t z = z0; z < z1; ++z)
            for (int64_t y = y0; y < y1; ++y) {
              const size_t srcBase = static_cast<size_t>(((z - kz * cz) * cy + (y - ky * cy)) * cx);
              std::memcpy(out + ((z - start[2]) * sy + (y - start[1])) * sx - start[0] + x0,
                          ch->data() + srcBase + (x0 - kx * cx), static_cast<size_t>(x1 - x0));
            }
        }
      }
}

std::vector<FloatVolume> CacheReader::readImage(int study) const {
  const StudyMeta& m = studies_.at(static_cast<size_t>(study));
  std::vector<float> buf(static_cast<size_t>(m.channels * m.size[0] * m.size[1] * m.size[2]));
  readRegion(study, {0, 0, 0}, m.size, buf.data(), nullptr, nullptr);
  std::vector<FloatVolume> out;
  const size_t n = static_cast<size_t>(m.size[0] * m.size[1] * m.size[2]);
  for (int c = 0; c < m.channels; ++c) {
    FloatVolume v(m.mapping.final);
    std::copy(buf.begin() + c * n, buf.begin() + (c + 1) * n, v.data.begin());
    out.push_back(std::move(v));
  }
  return out;
}

MaskVolume CacheReader::readLabel(int study) const {
  const StudyMeta& m = studies_.at(static_cast<size_t>(study));
  MaskVolume v(m.mapping.final, 0);
  if (m.hasLabel) readRegion(study, {0, 0, 0}, m.size, nullptr, v.data.data(), nullptr);
  return v;
}

MaskVolume CacheReader::readBrainmask(int study) const {
  const StudyMeta& m = studies_.at(static_cast<size_t>(study));
  MaskVolume v(m.mapping.final, 0);
  readRegion(study, {0, 0, 0}, m.size, nullptr, nullptr, v.data.data());
  return v;
}

namespace {
template <class T>
std::vector<std::array<T, 3>> readTriples(int64_t file, const std::string& id, const char* name, hid_t memType) {
  std::lock_guard<std::mutex> l(h5Mutex());
  H5Handle g(H5Gopen2(static_cast<hid_t>(file), ("studies/" + id).c_str(), H5P_DEFAULT));
  auto flat = readPlain<T>(g.get(), name, memType);
  std::vector<std::array<T, 3>> out(flat.size() / 3);
  for (size_t i = 0; i < out.size(); ++i) out[i] = {flat[3 * i], flat[3 * i + 1], flat[3 * i + 2]};
  return out;
}
}  // namespace

std::vector<std::array<int32_t, 3>> CacheReader::lesionVoxels(int study) const {
  return readTriples<int32_t>(fileId_, studies_.at(static_cast<size_t>(study)).id, "lesion_voxels", H5T_NATIVE_INT32);
}
std::vector<std::array<double, 3>> CacheReader::lesionCentres(int study) const {
  return readTriples<double>(fileId_, studies_.at(static_cast<size_t>(study)).id, "lesion_centres", H5T_NATIVE_DOUBLE);
}
std::vector<std::array<int32_t, 3>> CacheReader::brainVoxels(int study) const {
  return readTriples<int32_t>(fileId_, studies_.at(static_cast<size_t>(study)).id, "brain_voxels", H5T_NATIVE_INT32);
}

// ---------------------------------------------------------------- float16

uint16_t floatToHalf(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint32_t sign = (x >> 16) & 0x8000u;
  int32_t exp = static_cast<int32_t>((x >> 23) & 0xff) - 127 + 15;
  uint32_t mant = x & 0x7fffffu;
  if (((x >> 23) & 0xff) == 0xff) return static_cast<uint16_t>(sign | 0x7c00u | (mant ? 0x200u : 0));  // inf/nan
  if (exp >= 31) return static_cast<uint16_t>(sign | 0x7c00u);                                       // overflow
  if (exp <= 0) {
    if (exp < -10) return static_cast<uint16_t>(sign);
    mant |= 0x800000u;
    const uint32_t shift = static_cast<uint32_t>(14 - exp);
    uint32_t h = mant >> shift;
    const uint32_t rem = mant & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (h & 1u))) ++h;
    return static_cast<uint16_t>(sign | h);
  }
  uint32_t h = (static_cast<uint32_t>(exp) << 10) | (mant >> 13);
  const uint32_t rem = mant & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;
  return static_cast<uint16_t>(sign | h);
}

float halfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
  uint32_t x;
  if (exp == 0) {
    if (mant == 0) {
      x = sign;
    } else {
      int e = -1;
      uint32_t m = mant;
      do {
        ++e;
        m <<= 1;
      } while (!(m & 0x400u));
      x = sign | (static_cast<uint32_t>(127 - 15 - e) << 23) | ((m & 0x3ffu) << 13);
    }
  } else if (exp == 31) {
    x = sign | 0x7f800000u | (mant << 13);
  } else {
    x = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &x, 4);
  return f;
}

}  // namespace mst::cache
