// Typed access to one TOML table with every problem collected (wrong type,
// out-of-range value, unknown key), each named "FILE: [section] key: ...".
// toml++ stays inside experiment/.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "lib/core/Error.h"
#include "lib/core/Volume.h"

#include "lib/experiment/TomlFwd.h"

namespace mst::experiment {

class Section {
 public:
  // `table` may be null (section absent: every getter returns its default).
  Section(const toml::table* table, std::string file, std::string name, ProblemList* problems);

  bool present() const { return table_ != nullptr; }
  bool has(const std::string& key) const;
  std::string where(const std::string& key) const;  // "FILE: [name] key: "

  double number(const std::string& key, double def);
  int64_t integer(const std::string& key, int64_t def);
  bool boolean(const std::string& key, bool def);
  std::string string(const std::string& key, const std::string& def);
  std::vector<std::string> strings(const std::string& key, const std::vector<std::string>& def);
  std::vector<double> numbers(const std::string& key, const std::vector<double>& def);
  std::vector<int64_t> integers(const std::string& key, const std::vector<int64_t>& def);
  // "one of" helper: reports the allowed values.
  std::string choice(const std::string& key, const std::string& def, const std::vector<std::string>& allowed);
  Vec3 vec3(const std::string& key, const Vec3& def);   // a number (isotropic) or 3 numbers
  Size3 size3(const std::string& key, const Size3& def);  // an integer (cube) or 3 integers
  std::map<std::string, double> numberMap(const std::string& key);  // inline table of numbers
  Section sub(const std::string& key);  // nested table (absent -> empty Section)

  // Marks keys read elsewhere (sections handled by their own Section).
  void markUsed(const std::vector<std::string>& keys) { used_.insert(keys.begin(), keys.end()); }
  // Reports keys that no getter asked for (typos).
  void finish();
  void problem(const std::string& key, const std::string& text);

 private:
  template <class T, class Convert>
  std::vector<T> array(const std::string& key, const std::vector<T>& def, const char* what, Convert convert);

  const toml::table* table_;
  std::string file_, name_;
  ProblemList* problems_;
  std::set<std::string> used_;
  std::vector<Section*> children_;
};

}  // namespace mst::experiment
