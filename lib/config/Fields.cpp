#include "lib/config/Fields.h"

namespace mst::config {

std::string listChoices(Choices allowed) {
  std::string list;
  for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
  return list;
}

bool isChoice(const std::string& v, Choices allowed) {
  for (const char* a : allowed)
    if (v == a) return true;
  return false;
}

}  // namespace mst::config
