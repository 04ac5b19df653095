// Reading a cache: study metadata, whole arrays, and patch regions through
// direct chunk reads with an LRU cache of decoded chunks.
#include <libdeflate.h>

#include <algorithm>
#include <cstring>

#include "lib/cache/Cache.h"
#include "lib/cache/Hdf5.h"
#include "lib/core/Log.h"

namespace mst::cache {

namespace {

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

}  // namespace


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

}  // namespace mst::cache
