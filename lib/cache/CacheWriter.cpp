// Building a cache: preprocessing every study of a manifest (in parallel),
// reusing studies whose key is unchanged, into a temporary file renamed on
// success, under a lock file.
#include <atomic>
#include <chrono>

#include "lib/cache/Cache.h"
#include "lib/cache/Hdf5.h"
#include "lib/config/Json.h"
#include "lib/core/FileLock.h"
#include "lib/core/Fs.h"
#include "lib/core/Hash.h"
#include "lib/core/Log.h"
#include "lib/core/Parallel.h"
#include "lib/core/Progress.h"
#include "lib/core/Version.h"
#include "lib/metrics/Components.h"

namespace mst::cache {

// The settings as stored in the cache and hashed into study keys: the identity JSON.
std::string configText(const preprocess::PreprocessConfig& cfg) { return config::toJson(cfg, true).dump(); }


namespace {

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
  if (cfg.storage == "float16") {
    // Converted here, by the same rounding the reader inverts: HDF5 1.10's float -> half conversion
    // does not carry a rounded-up mantissa into the exponent (0.49996 became 0.25, not 0.5).
    std::vector<uint16_t> half(img.size());
    for (size_t i = 0; i < img.size(); ++i) half[i] = floatToHalf(img[i]);
    writeChunked(g.get(), "image", halfType(), halfType(), {C, Z, Y, X}, {C, cz, cy, cx}, half.data());
  } else {
    writeChunked(g.get(), "image", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {C, Z, Y, X}, {C, cz, cy, cx}, img.data());
  }
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


}  // namespace


std::string studyKey(const io::StudyRow& row, const preprocess::PreprocessConfig& cfg) {
  return Hasher().str(configText(cfg)).str(row.id()).str(inputsOf(row)).u64(kFormatVersion).hex();
}

std::string validateCacheFile(const std::filesystem::path& file) {
  std::lock_guard<std::mutex> lock(h5Mutex());
  OpenCache oc;
  return openCache(file, oc);
}

namespace {

// The channel set is part of a cache's identity: a cache of other channels is never rewritten
// (e.g. a FLAIR-only model predicted through a 4-channel cache would destroy it).
void refuseOtherChannels(const std::filesystem::path& file, const std::string& oldConfig, const std::string& newConfig) {
  auto channelsOf = [](const std::string& configJson) {
    const auto j = nlohmann::json::parse(configJson, nullptr, false);
    std::string list;
    if (j.is_object() && j.contains("channels") && j["channels"].is_array())
      for (const auto& c : j["channels"]) list += (list.empty() ? "" : ", ") + c.get<std::string>();
    return list.empty() ? std::string("?") : list;
  };
  if (channelsOf(oldConfig) != channelsOf(newConfig))
    throw InputError("cache '" + file.string() + "' holds other channels (" + channelsOf(oldConfig) + ") than this needs (" +
                     channelsOf(newConfig) +
                     "); give another cache path (--cache): a cache is never rewritten under another channel set");
}

// A new cache file with its provenance attributes, marked incomplete.
void createEmptyCache(const std::filesystem::path& path, const preprocess::PreprocessConfig& cfg) {
  std::lock_guard<std::mutex> l(h5Mutex());
  H5Handle f(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fileAccess()));
  if (!f.ok()) throw Error("cannot create cache '" + path.string() + "'");
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

}  // namespace

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
  if (why.empty()) refuseOtherChannels(file, old.config, configText(cfg));
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
  createEmptyCache(out.tempPath(), cfg);
  H5Handle outFile;
  {
    std::lock_guard<std::mutex> l(h5Mutex());
    outFile = H5Handle(H5Fopen(out.tempPath().c_str(), H5F_ACC_RDWR, fileAccess()));
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

}  // namespace mst::cache
