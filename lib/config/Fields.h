// How a settings struct lists its fields, once.
//
// Every settings struct in lib/config has in-class defaults, a validate()
// that names the field, and one member template
//
//   template <class V> void fields(V& v) {
//     v("iterations", iterations);
//     v.choice("optimizer", optimizer, {"adam", "sgd"});
//     v("log_every", logEvery, kOperational);
//     v.pair("clip_percentiles", clipLow, clipHigh);
//     v.nested("augment", augment);
//   }
//
// that every reader and writer walks: JSON (lib/config/Json.h: run.json,
// checkpoint sidecars, the config hash, the defaults) and the experiment
// file's TOML sections (lib/experiment/Sections.cpp). Adding a setting is the
// struct member and its line in fields(), plus its range check in validate()
// (choices are checked from fields() by config::checkChoices).
//
// Field types: bool, int, int64_t, uint64_t, double, std::string,
// std::filesystem::path, std::vector<std::string>, std::vector<int>,
// Size3 (integer or 3 integers), Vec3 (number or 3 numbers),
// std::map<std::string, double>; pairs of doubles; nested settings structs;
// text fields with their own codec (v.text(name, get, set)).
#pragma once

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace mst::config {

enum FieldFlags : unsigned {
  kIdentity = 0,     // changes the result: part of every config hash and run id
  kOperational = 1,  // recorded, but does not change the result (logging, checkpoint cadence, threads)
  kDerived = 2,      // set by the program (planner, CLI), never read from an experiment file's section
  kSparse = 4,       // written to JSON only when it differs from its type's empty value (0, "", {}): a setting
                     // added after runs were recorded leaves the ids of runs that do not use it unchanged
};

using Choices = std::initializer_list<const char*>;

// "a, b, c"
std::string listChoices(Choices allowed);
bool isChoice(const std::string& v, Choices allowed);

// Adds "WHERE<key>: expected one of a, b, got 'x'" for every choice field of `s` whose value is not allowed.
class ChoiceChecker {
 public:
  ChoiceChecker(std::string where, std::vector<std::string>* problems) : where_(std::move(where)), problems_(problems) {}
  template <class T>
  void operator()(const char*, const T&, unsigned = 0) {}
  void pair(const char*, const double&, const double&, unsigned = 0) {}
  template <class F, class G>
  void text(const char*, const F&, const G&, unsigned = 0) {}
  template <class S>
  void nested(const char* key, const S& s, unsigned = 0) {
    ChoiceChecker c(where_ + key + ".", problems_);
    const_cast<S&>(s).fields(c);
  }
  void choice(const char* key, const std::string& v, Choices allowed, unsigned = 0) {
    if (!isChoice(v, allowed))
      problems_->push_back(where_ + key + ": expected one of " + listChoices(allowed) + ", got '" + v + "'");
  }

 private:
  std::string where_;
  std::vector<std::string>* problems_;
};

template <class S>
std::vector<std::string> checkChoices(const S& s, const std::string& where) {
  std::vector<std::string> problems;
  ChoiceChecker c(where, &problems);
  const_cast<S&>(s).fields(c);
  return problems;
}

}  // namespace mst::config
