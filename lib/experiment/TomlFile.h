// Loading experiment TOML files, with `inherit = "base.toml"` resolved
// (relative to the inheriting file; the child's values override the base's,
// tables merge key by key, arrays and arrays of tables are replaced).
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "lib/core/Error.h"

#include "lib/experiment/TomlFwd.h"

namespace mst::experiment {

struct TomlDocument {
  std::filesystem::path file;
  std::shared_ptr<toml::table> root;  // merged
};

// Throws InputError naming the file (and line:column for syntax errors).
TomlDocument loadToml(const std::filesystem::path& file);

}  // namespace mst::experiment
