// HDF5 helpers of the cache (internal to lib/cache): handles, attributes,
// datasets, the float16 file type, and the lock that serialises HDF5 calls.
#pragma once

#include <hdf5.h>

#include <algorithm>
#include <map>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "lib/core/Error.h"
#include "lib/core/Volume.h"

namespace mst::cache {

// Debian's HDF5 is thread-safe with one global lock; this mutex makes the
// serialisation explicit (and keeps us safe with a non-thread-safe build).
std::mutex& h5Mutex();

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

hid_t halfType();  // IEEE half precision, little endian
// File access without HDF5's own flock: caches are published by atomic rename under a FileLock, and
// an flock held through a descriptor that a child process inherits for the instant between its
// spawn and its closefrom made reopening a just-created cache fail (EWOULDBLOCK) in a parallel run.
hid_t fileAccess();
void check(herr_t r, const std::string& what);
void writeAttrString(hid_t obj, const char* name, const std::string& v);
std::string readAttrString(hid_t obj, const char* name);
void writeAttrDoubles(hid_t obj, const char* name, const std::vector<double>& v);
std::vector<double> readAttrDoubles(hid_t obj, const char* name);
std::vector<double> geomToVec(const Geometry& g);
Geometry vecToGeom(const std::vector<double>& v);
void writeChunked(hid_t group, const char* name, hid_t fileType, hid_t memType, const std::vector<hsize_t>& dims,
                  const std::vector<hsize_t>& chunk, const void* data);
void writePlain(hid_t group, const char* name, hid_t fileType, hid_t memType, const std::vector<hsize_t>& dims,
                const void* data);
std::vector<std::string> listGroup(hid_t group);

// An existing cache file opened read-only: its settings and study keys.
struct OpenCache {
  H5Handle file;
  std::string config;
  std::map<std::string, std::string> keys;  // id -> key
};
// Opens and validates; returns why the file is unusable ("" when it is usable). Call under h5Mutex().
std::string openCache(const std::filesystem::path& path, OpenCache& out);

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

}  // namespace mst::cache
