// Child processes: the runner executes each training run in its own process,
// so that nothing random or thread-related is shared between concurrent runs
// (LibTorch's generator and thread pool are process-wide).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace mst {

struct ChildResult {
  int exitCode = 0;   // the child's exit status, or 128 + signal when it was killed
  bool ok() const { return exitCode == 0; }
};

// Runs `argv` (argv[0] is the executable path) and waits for it. The child is
// killed (SIGKILL) when this process dies, so killing the runner never leaves
// orphans training in the background. When `logFile` is non-empty, the child's
// stdout and stderr go to it (appended); otherwise they are inherited.
ChildResult runChild(const std::vector<std::string>& argv, const std::filesystem::path& logFile);

// Called first thing in main(): in a process started by runChild, arranges to
// be SIGKILLed when the runner dies (PR_SET_PDEATHSIG), and exits at once if
// the runner is already gone.
void dieWithParentIfChild();

// Called first thing in main(): keeps the freed memory of tensor-sized blocks in
// the heap instead of returning it to the system after every training step.
// glibc serves blocks above its mmap threshold (128 KiB at start, raised only
// after such a block is freed) by mmap and gives them back by munmap, so each
// step page-faults its activations in again. A run that validated first had
// raised the threshold by chance and trained 10-20 % faster than one that had
// not (docs/BENCHMARKS.md); a fixed threshold of 64 MiB (trim 256 MiB) makes every
// process take the fast path. No effect outside glibc. Results are unchanged:
// only where memory comes from differs.
void tuneAllocator();

// The path of the running executable (/proc/self/exe).
std::filesystem::path selfExecutable();

// The last `lines` lines of a text file ("" when unreadable).
std::string tailOfFile(const std::filesystem::path& file, int lines);

}  // namespace mst
