#include "lib/experiment/Toml.h"

#include "lib/core/Spelling.h"

#include <toml++/toml.h>

#include <sstream>

namespace mst::experiment {

namespace {
std::string typeName(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::array: return "an array";
    case toml::node_type::table: return "a table";
    default: return "a date/time";
  }
}
std::optional<double> asNumber(const toml::node& n) {
  if (auto v = n.value<double>()) return *v;
  return std::nullopt;
}
}  // namespace

Section::Section(const toml::table* table, std::string file, std::string name, ProblemList* problems)
    : table_(table), file_(std::move(file)), name_(std::move(name)), problems_(problems) {}

bool Section::has(const std::string& key) const { return table_ && table_->contains(key); }

std::string Section::where(const std::string& key) const {
  return file_ + ": " + (name_.empty() ? "" : "[" + name_ + "] ") + key + ": ";
}

void Section::problem(const std::string& key, const std::string& text) { problems_->add(where(key) + text); }

double Section::number(const std::string& key, double def) {
  used_.insert(key);
  if (!has(key)) return def;
  const auto* n = table_->get(key);
  if (auto v = asNumber(*n); v && (n->is_integer() || n->is_floating_point())) return *v;
  problem(key, "expected a number, got " + typeName(*n));
  return def;
}

int64_t Section::integer(const std::string& key, int64_t def) {
  used_.insert(key);
  if (!has(key)) return def;
  const auto* n = table_->get(key);
  if (auto v = n->value<int64_t>(); v && n->is_integer()) return *v;
  problem(key, "expected an integer, got " + typeName(*n));
  return def;
}

bool Section::boolean(const std::string& key, bool def) {
  used_.insert(key);
  if (!has(key)) return def;
  const auto* n = table_->get(key);
  if (auto v = n->value<bool>()) return *v;
  problem(key, "expected true or false, got " + typeName(*n));
  return def;
}

std::string Section::string(const std::string& key, const std::string& def) {
  used_.insert(key);
  if (!has(key)) return def;
  const auto* n = table_->get(key);
  if (auto v = n->value<std::string>()) return *v;
  problem(key, "expected a string, got " + typeName(*n));
  return def;
}

// Reads an array whose every element `convert` accepts; reports the first that it does not.
template <class T, class Convert>
std::vector<T> Section::array(const std::string& key, const std::vector<T>& def, const char* what, Convert convert) {
  used_.insert(key);
  if (!has(key)) return def;
  const auto* arr = table_->get(key)->as_array();
  if (!arr) {
    problem(key, std::string("expected an array of ") + what + ", got " + typeName(*table_->get(key)));
    return def;
  }
  std::vector<T> out;
  for (const auto& e : *arr) {
    std::optional<T> v = convert(e);
    if (!v) {
      problem(key, std::string("expected an array of ") + what + ", found " + typeName(e) + " in it");
      return def;
    }
    out.push_back(*v);
  }
  return out;
}

std::vector<std::string> Section::strings(const std::string& key, const std::vector<std::string>& def) {
  return array<std::string>(key, def, "strings", [](const toml::node& e) { return e.value<std::string>(); });
}

std::vector<double> Section::numbers(const std::string& key, const std::vector<double>& def) {
  return array<double>(key, def, "numbers", [](const toml::node& e) -> std::optional<double> {
    return e.is_integer() || e.is_floating_point() ? asNumber(e) : std::nullopt;
  });
}

std::vector<int64_t> Section::integers(const std::string& key, const std::vector<int64_t>& def) {
  return array<int64_t>(key, def, "integers", [](const toml::node& e) -> std::optional<int64_t> {
    return e.is_integer() ? e.value<int64_t>() : std::nullopt;
  });
}

std::string Section::choice(const std::string& key, const std::string& def, const std::vector<std::string>& allowed) {
  std::string v = string(key, def);
  for (const auto& a : allowed)
    if (a == v) return v;
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  problem(key, "expected one of " + list + ", got '" + v + "'");
  return def;
}

Vec3 Section::vec3(const std::string& key, const Vec3& def) {
  if (has(key) && (table_->get(key)->is_integer() || table_->get(key)->is_floating_point())) {
    const double v = number(key, def[0]);
    return {v, v, v};
  }
  auto v = numbers(key, {def[0], def[1], def[2]});
  if (v.size() != 3) {
    problem(key, "expected a number or 3 numbers, got " + std::to_string(v.size()));
    return def;
  }
  return {v[0], v[1], v[2]};
}

Size3 Section::size3(const std::string& key, const Size3& def) {
  if (has(key) && table_->get(key)->is_integer()) {
    const int64_t v = integer(key, def[0]);
    return {v, v, v};
  }
  auto v = integers(key, {def[0], def[1], def[2]});
  if (v.size() != 3) {
    problem(key, "expected an integer or 3 integers, got " + std::to_string(v.size()));
    return def;
  }
  return {v[0], v[1], v[2]};
}

std::map<std::string, double> Section::numberMap(const std::string& key) {
  used_.insert(key);
  std::map<std::string, double> out;
  if (!has(key)) return out;
  const auto* t = table_->get(key)->as_table();
  if (!t) {
    problem(key, "expected a table of numbers like { encoder = 0.1 }, got " + typeName(*table_->get(key)));
    return out;
  }
  for (const auto& [k, v] : *t) {
    if (auto d = asNumber(v); d && (v.is_integer() || v.is_floating_point())) out[std::string(k.str())] = *d;
    else problem(key, "entry '" + std::string(k.str()) + "': expected a number, got " + typeName(v));
  }
  return out;
}

Section Section::sub(const std::string& key) {
  used_.insert(key);
  const toml::table* t = nullptr;
  if (has(key)) {
    t = table_->get(key)->as_table();
    if (!t) problem(key, "expected a table, got " + typeName(*table_->get(key)));
  }
  return Section(t, file_, name_.empty() ? key : name_ + "." + key, problems_);
}

void Section::finish() {
  if (!table_) return;
  for (const auto& [k, v] : *table_) {
    const std::string key(k.str());
    if (used_.count(key)) continue;
    const std::string meant = closestName(key, used_);
    const bool section = name_.empty() && v.is_table();
    const std::string hint = meant.empty() ? " (check the spelling; see docs/EXPERIMENTS.md)"
                                           : "; did you mean " + (section ? "[" + meant + "]" : "'" + meant + "'") + "?";
    if (section) problems_->add(file_ + ": [" + key + "]: unknown section" + hint);
    else problem(key, "unknown key" + hint);
  }
}

}  // namespace mst::experiment
