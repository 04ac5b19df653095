// Version and provenance strings.
#pragma once

#include <string>

namespace mst {

std::string version();           // project version, e.g. "0.1.0"
std::string gitCommit();         // commit of the source tree ("<sha>", "<sha>-dirty" or "unknown")
std::string libraryVersions();   // "itk 5.2.1, torch 1.13.1, hdf5 1.10.8, ..." (as found at configure time)
std::string compilerVersion();

}  // namespace mst
