#include <toml++/toml.h>

#include <iostream>
#include <sstream>

#include "lib/cache/Cache.h"
#include "lib/cli/CliCommon.h"
#include "lib/cli/Commands.h"
#include "lib/core/Error.h"
#include "lib/core/Log.h"
#include "lib/experiment/Sections.h"
#include "lib/experiment/TomlFile.h"
#include "lib/io/Manifest.h"

namespace mst::cli {

int runPreprocess(const Args& args) {
  po::options_description opts("Options");
  std::string manifest, cacheFile, config, channels;
  int threads = 1;
  opts.add_options()("manifest", po::value(&manifest)->required(), "manifest CSV of the studies")(
      "cache", po::value(&cacheFile)->required(), "HDF5 cache file to build or update")(
      "config", po::value(&config), "experiment TOML: its [preprocess] section and [data] channels")(
      "channels", po::value(&channels), "comma-separated input channels (default: [data] channels, else all)")(
      "threads", po::value(&threads)->default_value(defaultThreads()), "studies preprocessed in parallel");
  po::variables_map vm;
  if (!parseArgs("preprocess", "--manifest M --cache FILE.h5 [--config EXP.toml]",
                 "Builds or updates the HDF5 cache of preprocessed studies. Unchanged studies are reused;\n"
                 "changed inputs or settings are rebuilt; a corrupt cache is detected and rebuilt.",
                 opts, args, vm))
    return 0;
  if (threads < 1) throw InputError("preprocess: --threads: expected >= 1, got " + std::to_string(threads));
  io::Manifest m = io::readManifest(manifest);
  std::vector<std::string> chans = m.channels;
  preprocess::PreprocessConfig cfg;
  ProblemList problems;
  if (!config.empty()) {
    auto doc = experiment::loadToml(config);
    experiment::Section data(doc.root->get("data") ? doc.root->get("data")->as_table() : nullptr, config, "data",
                             &problems);
    chans = data.strings("channels", chans);
    experiment::Section pre(doc.root->get("preprocess") ? doc.root->get("preprocess")->as_table() : nullptr, config,
                            "preprocess", &problems);
    cfg = experiment::readPreprocess(pre, chans);
    pre.finish();
  }
  if (!channels.empty()) chans = splitComma(channels);
  cfg.channels = chans;
  problems.throwIfAny();
  cfg.validate(config.empty() ? "" : config + ": [preprocess] ");
  m.requireChannels(cfg.channels);
  cache::BuildOptions bo;
  bo.threads = threads;
  auto rep = cache::buildCache(m, cfg, cacheFile, bo);
  if (rep.upToDate)
    std::cout << cacheFile << ": up to date (" << log::studies(rep.total) << ", " << rep.seconds << " s)\n";
  else
    std::cout << cacheFile << ": " << rep.built << " built, " << rep.reused << " reused, " << log::studies(rep.total) << " ("
              << rep.seconds << " s)" << (rep.rebuiltCorrupt ? "; the previous file was unusable: " + rep.corruptReason : "")
              << "\n";
  return 0;
}

}  // namespace mst::cli
