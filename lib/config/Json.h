// JSON for settings structs, through their fields() (see Fields.h).
//
//   nlohmann::json j = config::toJson(cfg);            // everything, for run.json and sidecars
//   nlohmann::json id = config::toJson(cfg, true);     // the identity (no kOperational fields), for hashes
//   auto cfg = config::fromJson<TrainConfig>(j, "run.json: train.");  // strict: unknown keys, wrong types
//
// Absent keys keep their defaults, so files written before a setting existed
// still read. Problems are collected and thrown together as one InputError,
// each naming the key, what was expected and what was found.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "lib/config/Fields.h"
#include "lib/core/Error.h"
#include "lib/core/Volume.h"

namespace mst::config {

class JsonWriter {
 public:
  explicit JsonWriter(bool identityOnly) : identityOnly_(identityOnly) {}
  nlohmann::json out = nlohmann::json::object();

  template <class T>
  void operator()(const char* key, const T& value, unsigned flags = kIdentity) {
    if (skip(flags)) return;
    if ((flags & kSparse) && value == T{}) return;
    out[key] = encode(value);
  }
  void pair(const char* key, const double& a, const double& b, unsigned flags = kIdentity) {
    if (!skip(flags)) out[key] = {a, b};
  }
  void choice(const char* key, const std::string& v, Choices, unsigned flags = kIdentity) { (*this)(key, v, flags); }
  template <class S>
  void nested(const char* key, const S& s, unsigned flags = kIdentity) {
    if (skip(flags)) return;
    JsonWriter w(identityOnly_);
    const_cast<S&>(s).fields(w);
    out[key] = w.out;
  }
  void text(const char* key, const std::function<std::string()>& get, const std::function<void(const std::string&)>&,
            unsigned flags = kIdentity) {
    if (!skip(flags)) out[key] = get();
  }

 private:
  bool skip(unsigned flags) const { return identityOnly_ && (flags & kOperational); }
  template <class T>
  static nlohmann::json encode(const T& v) { return v; }
  static nlohmann::json encode(const std::filesystem::path& p) { return p.string(); }
  bool identityOnly_;
};

class JsonReader {
 public:
  JsonReader(const nlohmann::json& in, std::string where, ProblemList* problems);
  // Reports keys that no field claimed.
  void finish();

  void operator()(const char* key, bool& v, unsigned = kIdentity);
  void operator()(const char* key, int& v, unsigned = kIdentity);
  void operator()(const char* key, int64_t& v, unsigned = kIdentity);
  void operator()(const char* key, uint64_t& v, unsigned = kIdentity);
  void operator()(const char* key, double& v, unsigned = kIdentity);
  void operator()(const char* key, std::string& v, unsigned = kIdentity);
  void operator()(const char* key, std::filesystem::path& v, unsigned = kIdentity);
  void operator()(const char* key, std::vector<std::string>& v, unsigned = kIdentity);
  void operator()(const char* key, std::vector<int>& v, unsigned = kIdentity);
  void operator()(const char* key, Size3& v, unsigned = kIdentity);
  void operator()(const char* key, Vec3& v, unsigned = kIdentity);
  void operator()(const char* key, std::map<std::string, double>& v, unsigned = kIdentity);
  void pair(const char* key, double& a, double& b, unsigned = kIdentity);
  void choice(const char* key, std::string& v, Choices allowed, unsigned = kIdentity);
  template <class S>
  void nested(const char* key, S& s, unsigned = kIdentity) {
    const nlohmann::json* j = find(key);
    if (!j) return;
    if (!j->is_object()) return wrong(key, "a table", *j);
    JsonReader r(*j, where_ + key + ".", problems_);
    s.fields(r);
    r.finish();
  }
  void text(const char* key, const std::function<std::string()>& get, const std::function<void(const std::string&)>& set,
            unsigned = kIdentity);

 private:
  const nlohmann::json* find(const char* key);
  void wrong(const char* key, const std::string& expected, const nlohmann::json& got);
  template <class T>
  bool number(const char* key, T& v, bool integral);

  const nlohmann::json& in_;
  std::string where_;
  ProblemList* problems_;
  std::set<std::string> used_;
};

template <class S>
nlohmann::json toJson(const S& s, bool identityOnly = false) {
  JsonWriter w(identityOnly);
  const_cast<S&>(s).fields(w);  // fields() only reads through a writer
  return w.out;
}

// Reads over the defaults of S (or over `base`); throws InputError listing every problem.
template <class S>
S fromJson(const nlohmann::json& j, const std::string& where, S base = S{}) {
  ProblemList problems;
  if (!j.is_object()) throw InputError(where + "expected a JSON object, got " + std::string(j.type_name()));
  JsonReader r(j, where, &problems);
  base.fields(r);
  r.finish();
  problems.throwIfAny();
  return base;
}

std::string hashJson(const nlohmann::json& j);

// Hex digest of the identity JSON (kOperational fields left out).
template <class S>
std::string identityHash(const S& s) {
  return hashJson(toJson(s, true));
}

}  // namespace mst::config
