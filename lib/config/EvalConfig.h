// Lesion-wise evaluation settings ([eval]; see lib/metrics/LesionMetrics.h
// for the criteria).
#pragma once

#include <cstdint>
#include <string>

#include "lib/config/Fields.h"

namespace mst::metrics {

enum class Criterion { kAny, kAnima, kIou };

struct LesionOptions {
  int connectivity = 26;
  Criterion criterion = Criterion::kAny;
  double iouThreshold = 0.5;                       // for kIou
  double alpha = 0.10, beta = 0.70, gamma = 0.65;  // for kAnima
  double minSizeMm3 = 0.0;                         // applied when > 0: lesions of at least this volume are kept
  bool minSizeStrict = false;                      // true: only lesions of more than min_size_mm3 are kept (Anima)
  int64_t minSizeVoxels = 0;                       // applied when > 0 (the larger of the two wins)
  // "msseg" sets the MSSEG/Anima protocol (animaSegPerfAnalyzer): 6-connectivity, lesions strictly
  // larger than 3 mm^3, criterion anima with alpha 0.10, beta 0.70, gamma 0.65; it overrides those keys.
  std::string protocol = "custom";

  // Parses "any", "anima", "iou:0.5"; throws InputError naming `field`.
  void setCriterion(const std::string& text, const std::string& field = "--criterion");
  std::string criterionName() const;  // inverse of setCriterion
  void validate(const std::string& where) const;  // throws InputError
  // Sets `protocol` ("custom" or "msseg") and, for msseg, its settings; throws InputError naming `field`.
  void setProtocol(const std::string& name, const std::string& field = "--protocol");

  template <class V>
  void fields(V& v) {
    v.text("criterion", [this] { return criterionName(); }, [this](const std::string& t) { parseCriterion(t); });
    v("connectivity", connectivity);
    v("alpha", alpha);
    v("beta", beta);
    v("gamma", gamma);
    v("min_size_mm3", minSizeMm3);
    v("min_size_strict", minSizeStrict);
    v("min_size_voxels", minSizeVoxels);
    // Last, so that a protocol overrides the keys it sets.
    v.text("protocol", [this] { return protocol; }, [this](const std::string& t) { setProtocol(t, "protocol"); });
  }

 private:
  void parseCriterion(const std::string& text);  // throws InputError "expected ..., got ..."
};

}  // namespace mst::metrics
