#include "lib/cli/CliCommon.h"

#include <iostream>
#include <cstdint>
#include <thread>
#include <typeinfo>

#include "lib/core/Error.h"

namespace mst::cli {

bool parseArgs(const std::string& command, const std::string& usage, const std::string& summary,
               po::options_description& options, const std::vector<std::string>& args, po::variables_map& vm,
               const po::positional_options_description* positional) {
  options.add_options()("help,h", "print this help and exit");
  try {
    auto parser = po::command_line_parser(args).options(options);
    if (positional) parser.positional(*positional);
    const po::parsed_options parsed = parser.run();
    po::store(parsed, vm);
    // Boost converts "-1" to an unsigned option by wrapping around (to 18446744073709551615): refuse it.
    for (const auto& o : parsed.options) {
      if (!vm.count(o.string_key)) continue;
      const auto& t = vm[o.string_key].value().type();
      const bool isUnsigned = t == typeid(uint64_t) || t == typeid(unsigned) || t == typeid(unsigned long long);
      for (const auto& v : o.value)
        if (isUnsigned && !v.empty() && v.find('-') != std::string::npos)
          throw InputError("mstransfer " + command + ": --" + o.string_key + ": expected a non-negative integer, got '" +
                           v + "'");
    }
    if (vm.count("help")) {
      std::cout << "Usage: mstransfer " << command << " " << usage << "\n\n" << summary << "\n\n" << options << "\n";
      return false;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    throw InputError(std::string("mstransfer ") + command + ": " + e.what() + " (see 'mstransfer " + command +
                     " --help')");
  }
  return true;
}

std::vector<std::string> splitComma(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text + ",") {
    if (c != ',') {
      cur += c;
    } else if (!cur.empty()) {
      out.push_back(cur);
      cur.clear();
    }
  }
  return out;
}

void validateAsOptions(const std::function<void()>& validate) {
  try {
    validate();
  } catch (const InputError& e) {
    std::vector<std::string> out;
    for (std::string p : e.problems()) {
      const size_t at = p.find("--"), end = p.find(':', at == std::string::npos ? 0 : at);
      if (at != std::string::npos && end != std::string::npos)
        for (size_t i = at + 2; i < end; ++i)
          if (p[i] == '_') p[i] = '-';
      out.push_back(p);
    }
    throw InputError(out);
  }
}

int defaultThreads() {
  unsigned n = std::thread::hardware_concurrency();
  return n ? static_cast<int>(n) : 1;
}

}  // namespace mst::cli
