#include "lib/config/EvalConfig.h"

#include <cstdio>
#include <cstdlib>
#include <utility>
#include "lib/core/Error.h"
#include "lib/core/Log.h"

namespace mst::metrics {

void LesionOptions::parseCriterion(const std::string& text) {
  if (text == "any") {
    criterion = Criterion::kAny;
  } else if (text == "anima") {
    criterion = Criterion::kAnima;
  } else if (text.rfind("iou:", 0) == 0) {
    char* end = nullptr;
    const std::string num = text.substr(4);
    const double t = std::strtod(num.c_str(), &end);
    if (num.empty() || *end || !(t > 0 && t <= 1)) throw InputError("expected iou:T with 0 < T <= 1, got '" + text + "'");
    criterion = Criterion::kIou;
    iouThreshold = t;
  } else {
    throw InputError("expected one of any, anima, iou:T, got '" + text + "'");
  }
}

void LesionOptions::setCriterion(const std::string& text, const std::string& field) {
  try {
    parseCriterion(text);
  } catch (const InputError& e) {
    throw InputError(field + ": " + e.what());
  }
}

void LesionOptions::setProtocol(const std::string& name, const std::string& field) {
  if (name == "msseg") {
    connectivity = 6;
    criterion = Criterion::kAnima;
    alpha = 0.10;
    beta = 0.70;
    gamma = 0.65;
    minSizeMm3 = 3.0;
    minSizeStrict = true;
    minSizeVoxels = 0;
  } else if (name != "custom") {
    throw InputError(field + ": expected one of custom, msseg, got '" + name + "'");
  }
  protocol = name;
}

std::string LesionOptions::criterionName() const {
  switch (criterion) {
    case Criterion::kAny: return "any";
    case Criterion::kAnima: return "anima";
    case Criterion::kIou: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "iou:%g", iouThreshold);
      return buf;
    }
  }
  return "?";
}

void LesionOptions::validate(const std::string& where) const {
  ProblemList p;
  if (connectivity != 6 && connectivity != 18 && connectivity != 26)
    p.add(where + "connectivity: expected 6, 18 or 26, got " + std::to_string(connectivity));
  for (auto [name, v] : {std::pair<const char*, double>{"alpha", alpha}, {"beta", beta}, {"gamma", gamma}})
    if (!(v >= 0 && v <= 1)) p.add(where + name + ": expected a value in [0, 1], got " + log::cat(v));
  if (minSizeMm3 < 0) p.add(where + "min_size_mm3: expected >= 0, got " + log::cat(minSizeMm3));
  if (minSizeVoxels < 0) p.add(where + "min_size_voxels: expected >= 0, got " + std::to_string(minSizeVoxels));
  p.throwIfAny();
}

}  // namespace mst::metrics
