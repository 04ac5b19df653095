// Internals of lib/experiment shared by its files: TOML helpers for the
// experiment file and the data sources (built-in cohorts or manifests).
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "lib/experiment/Experiment.h"
#include "lib/experiment/Toml.h"

namespace mst::experiment {

// ExperimentFile.cpp
const toml::table* tableAt(const toml::table* t, const char* key);
uint64_t seedValue(Section& s, const char* key, int64_t def);

// DataSources.cpp
// [data] (and [source.pretrain]): a built-in cohort or a manifest; every problem goes to the Section.
DataSpec readData(Section& s, const std::filesystem::path& base, bool required);
// The manifest of a data source, generating a built-in cohort under dataRoot when asked; checked
// (headers only). An empty manifest when a cohort is not generated yet (dry run).
io::Manifest resolveManifest(const DataSpec& d, const std::filesystem::path& dataRoot, bool generate, int threads,
                             const std::string& what);
// Rows named as the generator names them, for planning before the data exist (dry runs).
io::Manifest syntheticRows(const DataSpec& d);
// Study ids grouped by subject, subjects sorted.
std::map<std::string, std::vector<std::string>> bySubject(const io::Manifest& m);

}  // namespace mst::experiment
