#include "lib/cache/Hdf5.h"

#include "lib/cache/Cache.h"

namespace mst::cache {

namespace {

// Silence HDF5's automatic error stack printing: errors are reported by us.
struct H5Quiet {
  H5Quiet() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }
};
const H5Quiet kQuiet;

}  // namespace

std::mutex& h5Mutex() {
  static std::mutex m;
  return m;
}

hid_t fileAccess() {
  static hid_t fapl = [] {
    hid_t p = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_file_locking(p, false, true);
    return p;
  }();
  return fapl;
}

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

std::string openCache(const std::filesystem::path& path, OpenCache& out) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return "file not found";
  if (H5Fis_hdf5(path.c_str()) <= 0) return "not an HDF5 file (truncated or corrupt)";
  out.file = H5Handle(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fileAccess()));
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

}  // namespace mst::cache
