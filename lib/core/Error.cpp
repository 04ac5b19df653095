#include "lib/core/Error.h"

namespace mst {

static std::string joinLines(const std::vector<std::string>& lines) {
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i) out += '\n';
    out += lines[i];
  }
  return out;
}

InputError::InputError(std::vector<std::string> problems)
    : Error(joinLines(problems)), problems_(std::move(problems)) {}

void ProblemList::throwIfAny() const {
  if (!problems_.empty()) throw InputError(problems_);
}

}  // namespace mst
