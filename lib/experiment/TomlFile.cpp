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

// Paths an inherited file gives (checkpoint, manifest) are relative to that file's folder, not to
// the folder of the file that inherits it: they are made absolute before the merge.
void anchorPaths(toml::table& t, const std::filesystem::path& dir) {
  for (auto&& [k, v] : t) {
    if (auto* sub = v.as_table()) {
      anchorPaths(*sub, dir);
    } else if ((k.str() == "checkpoint" || k.str() == "manifest") && v.is_string()) {
      const std::filesystem::path p = *v.value<std::string>();
      if (!p.empty() && p.is_relative()) v.as_string()->get() = std::filesystem::absolute(dir / p).lexically_normal().string();
    }
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
    std::error_code ec;
    if (!std::filesystem::is_regular_file(basePath, ec))
      throw InputError("'" + basePath.string() + "': file not found (inherited by '" + file.string() + "': inherit = \"" +
                       *base + "\", resolved against that file's folder)");
    toml::table merged = loadRec(basePath, chain);
    anchorPaths(merged, basePath.parent_path());
    t.erase("inherit");
    bool replaceArms = false;
    if (auto* ra = t.get("replace_arms")) {
      if (!ra->is_boolean()) throw InputError(file.string() + ": replace_arms: expected true or false");
      replaceArms = ra->value_or(false);
      t.erase("replace_arms");
    }
    // [[arms]] add up: a block naming an inherited arm overrides it key by key, a new name adds
    // an arm; replace_arms = true replaces the inherited arms as a whole.
    auto* inheritedArms = merged.get("arms");
    auto* ownArms = t.get("arms");
    if (!replaceArms && inheritedArms && ownArms && inheritedArms->is_array() && ownArms->is_array()) {
      toml::array combined = *inheritedArms->as_array();
      for (const auto& node : *ownArms->as_array()) {
        const auto* own = node.as_table();
        toml::table* target = nullptr;
        if (own && own->get("name"))
          for (auto& base : combined)
            if (auto* bt = base.as_table(); bt && bt->get("name") && bt->get("name")->value<std::string>() ==
                                                                          own->get("name")->value<std::string>())
              target = bt;
        if (target) merge(*target, *own);
        else combined.push_back(node);
      }
      t.erase("arms");
      merge(merged, t);
      merged.insert_or_assign("arms", std::move(combined));
      return merged;
    }
    merge(merged, t);
    return merged;
  }
  t.erase("replace_arms");  // meaningless without inherit
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
