// The demo's source models ship with the repository (experiments/demo/sources/). These checks
// keep the files, their recipe and the demo experiments together:
// - the recipe still plans the very runs that built the shipped models (same run ids: same data,
//   split, settings and seeds), so `make sources` would rebuild the shipped configuration;
// - each shipped model stopped on its validation plateau;
// - its bytes match the sidecar's weights_hash and the demo's checkpoint_hash, and a changed file
//   is refused before any work (exit 2, naming both hashes).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "lib/core/Hash.h"
#include "tests/support/TestSupport.h"

using namespace mst;
namespace fs = std::filesystem;

namespace {
const fs::path kDemo = fs::path(MST_SOURCE_DIR) / "experiments" / "demo";
nlohmann::json readJson(const fs::path& p) { return nlohmann::json::parse(test::readFile(p)); }

// The id of the recipe's source run for NAME ([sources.NAME.pretrain]), from its dry run.
std::string plannedSourceId(const std::string& dryRun, const std::string& name) {
  std::stringstream ss(dryRun);
  for (std::string line; std::getline(ss, line);)
    if (line.find("\tsource\t" + name + "\t") != std::string::npos) return line.substr(0, line.find('\t'));
  return "";
}
}  // namespace

TEST(ShippedSources, TheRecipePlansTheRunsThatBuiltThem) {
  test::TempDir d("mst-sources");
  const auto r = test::runCli("run '" + (kDemo / "sources" / "recipe.toml").string() + "' --sources-only --dry-run --results '" +
                              (d / "res").string() + "' --data-root '" + (d / "data").string() + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  for (const std::string name : {"flair", "enhancement"}) {
    const auto run = readJson(kDemo / "sources" / (name + ".run.json"));
    EXPECT_EQ(plannedSourceId(r.out, name), run.at("id").get<std::string>()) << name << ":\n" << r.out;
    const auto side = readJson(kDemo / "sources" / (name + ".pt.json"));
    EXPECT_EQ(side.at("stop_reason"), "plateau") << name;
    EXPECT_LT(side.at("iteration").get<int>(), side.at("iterations").get<int>()) << name << " stopped before its cap";
    EXPECT_EQ(side.at("weights_hash").get<std::string>(), fileHash((kDemo / "sources" / (name + ".pt")).string())) << name;
  }
}

TEST(ShippedSources, TheDemoPinsTheirHashesAndRefusesAChangedFile) {
  for (const std::string task : {"flair", "new_lesions", "enhancement"}) {
    const std::string toml = test::readFile(kDemo / (task + ".toml"));
    const std::string name = task == "enhancement" ? "enhancement" : "flair";
    const std::string hash = fileHash((kDemo / "sources" / (name + ".pt")).string());
    EXPECT_NE(toml.find("checkpoint_hash = \"" + hash + "\""), std::string::npos) << task << ".toml does not pin " << hash;
  }
  test::TempDir d("mst-sources-changed");
  fs::create_directories(d / "sources");
  for (const char* f : {"base.toml", "flair.toml"}) fs::copy_file(kDemo / f, d / f);
  fs::copy_file(kDemo / "sources" / "flair.pt.json", d / "sources" / "flair.pt.json");
  std::string bytes = test::readFile(kDemo / "sources" / "flair.pt");
  bytes[bytes.size() / 2] ^= 1;  // one bit of the weights
  test::writeFile(d / "sources" / "flair.pt", bytes);
  const auto r = test::runCli("run '" + (d / "flair.toml").string() + "' --dry-run --results '" + (d / "res").string() +
                              "' --data-root '" + (d / "data").string() + "'");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.err.find("[source] checkpoint_hash: expected fnv1a64:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("(the experiment file), got fnv1a64:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("its sidecar"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(d / "res" / "demo_flair"));
}
