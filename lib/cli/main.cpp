// mstransfer: one binary, git-style subcommands.
#include <cstring>
#include <exception>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "lib/cli/Commands.h"
#include "lib/core/Error.h"
#include "lib/core/Process.h"
#include "lib/report/Report.h"
#include "lib/core/Version.h"

namespace {

struct Command {
  const char* name;
  const char* summary;
  std::function<int(const mst::cli::Args&)> run;
};

const std::vector<Command>& commands() {
  using namespace mst::cli;
  static const std::vector<Command> kCommands = {
      {"run", "run an experiment end to end (data, caches, sources, sweep, report)", runRun},
      {"report", "rebuild result tables and figures from stored runs", runReport},
      {"slurm", "write a Slurm array job that runs an experiment's shards", runSlurm},
      {"manifest", "check a data manifest, or build one from a known layout (check | scan)", runManifest},
      {"synth", "generate the built-in synthetic cohorts (brain phantoms with lesions)", runSynth},
      {"preprocess", "build or update the HDF5 cache of preprocessed studies", runPreprocess},
      {"train", "train a 3D U-Net (from scratch or from a source model) on a manifest", runTrain},
      {"predict", "predict lesion probability maps and masks with a checkpoint", runPredict},
      {"evaluate", "lesion-wise sensitivity, PPV, F1 and Dice of predictions against truth", runEvaluate},
      {"stats", "paired statistics between two arms' per-study results (paired)", runStats},
  };
  return kCommands;
}

void printHelp() {
  std::cout << "mstransfer " << mst::version() << ": transfer learning for 3D U-Net MS lesion segmentation\n\n"
            << "Usage: mstransfer COMMAND [options]    (mstransfer COMMAND --help for its options)\n\nCommands:\n";
  for (const auto& c : commands()) {
    std::string n = c.name;
    n.resize(12, ' ');
    std::cout << "  " << n << c.summary << "\n";
  }
  std::cout << "\nExit codes: 0 success, 1 internal or runtime error, 2 bad input (file, row or field named).\n";
}

}  // namespace

int main(int argc, char** argv) {
  mst::dieWithParentIfChild();  // a run started by the runner dies with it (SIGKILL included)
  mst::tuneAllocator();         // tensor-sized blocks stay in the heap (Process.h)
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    printHelp();
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version") {
    std::cout << "mstransfer " << mst::version() << "\n" << mst::libraryVersions() << "\n"
              << "figure script: " << mst::report::figureScript().string() << "\n";
    return 0;
  }
  for (const auto& c : commands()) {
    if (args[0] != c.name) continue;
    try {
      return c.run(mst::cli::Args(args.begin() + 1, args.end()));
    } catch (const mst::InputError& e) {
      for (const auto& p : e.problems()) std::cerr << "error: " << p << "\n";
      if (e.problems().size() > 1) std::cerr << e.problems().size() << " problems found; nothing was changed.\n";
      return 2;
    } catch (const std::exception& e) {
      std::cerr << "error: " << e.what() << "\n";
      return 1;
    }
  }
  std::cerr << "error: unknown command '" << args[0] << "' (see 'mstransfer --help')\n";
  return 2;
}
