#include "lib/config/Json.h"

#include <cmath>
#include <limits>

#include "lib/core/Hash.h"

namespace mst::config {

JsonReader::JsonReader(const nlohmann::json& in, std::string where, ProblemList* problems)
    : in_(in), where_(std::move(where)), problems_(problems) {}

const nlohmann::json* JsonReader::find(const char* key) {
  used_.insert(key);
  auto it = in_.find(key);
  if (it == in_.end() || it->is_null()) return nullptr;
  return &*it;
}

void JsonReader::wrong(const char* key, const std::string& expected, const nlohmann::json& got) {
  std::string text = got.dump();
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  problems_->add(where_ + key + ": expected " + expected + ", got " + text);
}

void JsonReader::finish() {
  for (const auto& [k, v] : in_.items())
    if (!used_.count(k)) problems_->add(where_ + k + ": unknown setting");
}

template <class T>
bool JsonReader::number(const char* key, T& v, bool integral) {
  const nlohmann::json* j = find(key);
  if (!j) return false;
  if (!j->is_number() || (integral && !j->is_number_integer())) {
    wrong(key, integral ? "an integer" : "a number", *j);
    return false;
  }
  if constexpr (std::is_integral_v<T>) {
    if constexpr (std::is_unsigned_v<T>) {
      if (j->is_number_unsigned() || j->get<int64_t>() >= 0) {
        v = j->get<T>();
        return true;
      }
      wrong(key, "a non-negative integer", *j);
      return false;
    } else {
      const int64_t x = j->is_number_unsigned() && j->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
                            ? std::numeric_limits<int64_t>::max()
                            : j->get<int64_t>();
      if (x < static_cast<int64_t>(std::numeric_limits<T>::min()) || x > static_cast<int64_t>(std::numeric_limits<T>::max())) {
        wrong(key, "an integer in range", *j);
        return false;
      }
      v = static_cast<T>(x);
    }
  } else {
    v = j->get<T>();
  }
  return true;
}

void JsonReader::operator()(const char* key, bool& v, unsigned) {
  if (const nlohmann::json* j = find(key)) {
    if (j->is_boolean()) v = j->get<bool>();
    else wrong(key, "true or false", *j);
  }
}
void JsonReader::operator()(const char* key, int& v, unsigned) { number(key, v, true); }
void JsonReader::operator()(const char* key, int64_t& v, unsigned) { number(key, v, true); }
void JsonReader::operator()(const char* key, uint64_t& v, unsigned) { number(key, v, true); }
void JsonReader::operator()(const char* key, double& v, unsigned) { number(key, v, false); }

void JsonReader::operator()(const char* key, std::string& v, unsigned) {
  if (const nlohmann::json* j = find(key)) {
    if (j->is_string()) v = j->get<std::string>();
    else wrong(key, "a string", *j);
  }
}

void JsonReader::operator()(const char* key, std::filesystem::path& v, unsigned) {
  std::string s = v.string();
  (*this)(key, s);
  v = s;
}

void JsonReader::operator()(const char* key, std::vector<std::string>& v, unsigned) {
  if (const nlohmann::json* j = find(key)) {
    bool ok = j->is_array();
    if (ok)
      for (const auto& e : *j) ok = ok && e.is_string();
    if (ok) v = j->get<std::vector<std::string>>();
    else wrong(key, "an array of strings", *j);
  }
}

void JsonReader::operator()(const char* key, std::vector<int>& v, unsigned) {
  if (const nlohmann::json* j = find(key)) {
    bool ok = j->is_array();
    if (ok)
      for (const auto& e : *j) ok = ok && e.is_number_integer();
    if (ok) v = j->get<std::vector<int>>();
    else wrong(key, "an array of integers", *j);
  }
}

void JsonReader::operator()(const char* key, Size3& v, unsigned) {
  if (const nlohmann::json* j = find(key)) {
    if (j->is_number_integer()) {
      v = {j->get<int64_t>(), j->get<int64_t>(), j->get<int64_t>()};
    } else if (j->is_array() && j->size() == 3 && (*j)[0].is_number_integer() && (*j)[1].is_number_integer() &&
               (*j)[2].is_number_integer()) {
      v = {(*j)[0].get<int64_t>(), (*j)[1].get<int64_t>(), (*j)[2].get<int64_t>()};
    } else {
      wrong(key, "an integer or 3 integers (x, y, z)", *j);
    }
  }
}

void JsonReader::operator()(const char* key, Vec3& v, unsigned) {
  if (const nlohmann::json* j = find(key)) {
    if (j->is_number()) {
      v = {j->get<double>(), j->get<double>(), j->get<double>()};
    } else if (j->is_array() && j->size() == 3 && (*j)[0].is_number() && (*j)[1].is_number() && (*j)[2].is_number()) {
      v = {(*j)[0].get<double>(), (*j)[1].get<double>(), (*j)[2].get<double>()};
    } else {
      wrong(key, "a number or 3 numbers (x, y, z)", *j);
    }
  }
}

void JsonReader::operator()(const char* key, std::map<std::string, double>& v, unsigned) {
  if (const nlohmann::json* j = find(key)) {
    bool ok = j->is_object();
    if (ok)
      for (const auto& [k, e] : j->items()) ok = ok && e.is_number();
    if (!ok) return wrong(key, "a table of numbers", *j);
    v.clear();
    for (const auto& [k, e] : j->items()) v[k] = e.get<double>();
  }
}

void JsonReader::pair(const char* key, double& a, double& b, unsigned) {
  if (const nlohmann::json* j = find(key)) {
    if (j->is_array() && j->size() == 2 && (*j)[0].is_number() && (*j)[1].is_number()) {
      a = (*j)[0].get<double>();
      b = (*j)[1].get<double>();
    } else {
      wrong(key, "[low, high]", *j);
    }
  }
}

void JsonReader::text(const char* key, const std::function<std::string()>&,
                      const std::function<void(const std::string&)>& set, unsigned) {
  if (const nlohmann::json* j = find(key)) {
    if (!j->is_string()) return wrong(key, "a string", *j);
    try {
      set(j->get<std::string>());
    } catch (const InputError& e) {
      problems_->add(where_ + key + ": " + e.what());
    }
  }
}

void JsonReader::choice(const char* key, std::string& v, Choices allowed, unsigned) {
  std::string x = v;
  (*this)(key, x);
  if (isChoice(x, allowed)) v = x;
  else problems_->add(where_ + key + ": expected one of " + listChoices(allowed) + ", got '" + x + "'");
}

std::string hashJson(const nlohmann::json& j) { return Hasher().str(j.dump()).hex(); }

}  // namespace mst::config
