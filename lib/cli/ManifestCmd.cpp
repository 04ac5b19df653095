#include <iostream>

#include "lib/cli/CliCommon.h"
#include "lib/cli/Commands.h"
#include "lib/core/Error.h"
#include "lib/core/Log.h"
#include "lib/io/Manifest.h"

namespace mst::cli {

namespace {

int runCheck(const Args& args) {
  po::options_description opts("Options");
  std::string file, channels;
  bool headersOnly = false, requireLabel = false;
  opts.add_options()("manifest", po::value(&file)->required(), "manifest CSV to check (also positional)")(
      "channels", po::value(&channels)->default_value(""), "comma-separated channels that must be present")(
      "require-label", po::bool_switch(&requireLabel), "fail when the manifest has no label column")(
      "headers-only", po::bool_switch(&headersOnly), "read image headers only (fast; skips corrupt-data and NaN checks)");
  po::positional_options_description pos;
  pos.add("manifest", 1);
  po::variables_map vm;
  if (!parseArgs("manifest check", "FILE [options]",
                 "Checks every row and file of a manifest and reports every problem at once.", opts, args, vm, &pos))
    return 0;
  // Structure first, then the files of every row that parsed: every problem is reported at once.
  ProblemList structure;
  io::Manifest m = io::readManifest(file, structure);
  io::CheckOptions co;
  co.readVoxels = !headersOnly;
  co.requiredChannels = splitComma(channels);
  co.requireLabel = requireLabel;
  io::CheckReport rep = io::checkManifest(m, co);
  for (const auto& n : rep.notes) std::cerr << "note: " << n << "\n";
  std::vector<std::string> all = structure.problems();
  all.insert(all.end(), rep.problems.begin(), rep.problems.end());
  if (!all.empty()) throw InputError(all);
  std::string chans;
  for (const auto& c : m.channels) chans += (chans.empty() ? "" : ", ") + c;
  std::cout << file << ": OK, " << log::studies(rep.studies) << ", channels: " << chans
            << (m.hasLabel ? ", with labels" : ", no labels") << "\n";
  return 0;
}

int runScan(const Args& args) {
  po::options_description opts("Options");
  std::string layout, root, out;
  std::string layoutHelp = "folder layout, one of:";
  for (const auto& [n, d] : io::layouts()) layoutHelp += "\n  " + n + ": " + d;
  opts.add_options()("layout", po::value(&layout)->required(), layoutHelp.c_str())(
      "root", po::value(&root)->required(), "dataset root folder")("out", po::value(&out)->required(),
                                                                  "manifest CSV to write");
  po::variables_map vm;
  if (!parseArgs("manifest scan", "--layout NAME --root DIR --out FILE",
                 "Builds a manifest from a known dataset folder layout.", opts, args, vm))
    return 0;
  // Absolute paths in, so the manifest holds paths relative to its own folder (or absolute), never to
  // the working directory.
  io::Manifest m = io::scanLayout(layout, std::filesystem::absolute(root));
  io::writeManifest(out, m);
  std::cout << out << ": " << log::studies(static_cast<long long>(m.rows.size())) << " (layout " << layout << ")\n";
  return 0;
}

}  // namespace

int runManifest(const Args& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << "Usage: mstransfer manifest check FILE [options]\n"
                 "       mstransfer manifest scan --layout NAME --root DIR --out FILE\n\n"
                 "  check   validate a manifest and every file it names, reporting all problems at once\n"
                 "  scan    build a manifest from a known dataset layout\n";
    return args.empty() ? 2 : 0;
  }
  Args rest(args.begin() + 1, args.end());
  if (args[0] == "check") return runCheck(rest);
  if (args[0] == "scan") return runScan(rest);
  throw InputError("mstransfer manifest: unknown action '" + args[0] + "', expected 'check' or 'scan'");
}

}  // namespace mst::cli
