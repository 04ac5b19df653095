// Shared helpers for the subcommands of the `mstransfer` binary.
//
// Every subcommand is `int run<Name>(const std::vector<std::string>& args)`;
// args excludes the binary and the subcommand names. Input errors are thrown
// as mst::InputError (exit 2); option parsing errors become InputError too.
#pragma once

#include <boost/program_options.hpp>
#include <functional>
#include <string>
#include <vector>

namespace mst::cli {

namespace po = boost::program_options;

// Parses args into vm. Returns false (after printing usage to stdout) when
// --help was given. Unknown options and bad values throw InputError naming
// the option and the command.
bool parseArgs(const std::string& command, const std::string& usage, const std::string& summary,
               po::options_description& options, const std::vector<std::string>& args, po::variables_map& vm,
               const po::positional_options_description* positional = nullptr);

// "a,b,,c" -> {"a", "b", "c"}.
std::vector<std::string> splitComma(const std::string& text);

// Runs a settings struct's validate("--") and rewrites the setting names of its messages as the
// command-line options that set them ("--min_size_mm3:" -> "--min-size-mm3:").
void validateAsOptions(const std::function<void()>& validate);

// Number of cores (the default for --threads).
int defaultThreads();

}  // namespace mst::cli
