#include "lib/experiment/TomlFile.h"

#include <toml++/toml.h>

#include <set>
#include <sstream>

#include "lib/core/Fs.h"

namespace mst::experiment {

namespace {

void merge(toml::table& into, const toml::table& from) {
  for (const auto& [k, v] : from) {
    auto* existing = into.get(k);
    if (existing && existing->is_table() && v.is_table()) merge(*existing->as_table(), *v.as_table());
    else into.insert_or_assign(k, v);
  }
}

toml::table loadRec(const std::filesystem::path& file, std::set<std::string>& chain) {
  const std::string key = std::filesystem::weakly_canonical(file).string();
  if (chain.count(key)) throw InputError("'" + file.string() + "': inherit cycle");
  chain.insert(key);
  const std::string text = readText(file);
  toml::table t;
  try {
    t = toml::parse(text, file.string());
  } catch (const toml::parse_error& e) {
    std::ostringstream os;
    os << file.string() << ":" << e.source().begin.line << ":" << e.source().begin.column << ": TOML syntax error: "
       << e.description();
    throw InputError(os.str());
  }
  if (auto* inh = t.get("inherit")) {
    auto base = inh->value<std::string>();
    if (!base) throw InputError(file.string() + ": inherit: expected a file name (string)");
    const auto basePath = resolveAgainst(file.parent_path(), *base);
    toml::table merged = loadRec(basePath, chain);
    t.erase("inherit");
    merge(merged, t);
    return merged;
  }
  return t;
}

}  // namespace

TomlDocument loadToml(const std::filesystem::path& file) {
  std::set<std::string> chain;
  TomlDocument d;
  d.file = file;
  d.root = std::make_shared<toml::table>(loadRec(file, chain));
  return d;
}

}  // namespace mst::experiment
