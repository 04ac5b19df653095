// Transfer learning: initialise from a source model, freeze parts, set
// per-part learning rates. These are the knobs the ablation arms turn.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "lib/model/Checkpoint.h"
#include "lib/model/UNet3d.h"

namespace mst::model {

struct TransferOptions {
  // First convolution when the source has another number of input channels:
  //   replicate: new input channel c takes source channel (c mod Cs), scaled by Cs/Cn
  //   average:   every new input channel takes the mean over source channels, scaled by Cs/Cn
  //   zero:      the first min(Cs, Cn) channels copied, the rest zero
  // (the scaling keeps the summed response to identical inputs unchanged).
  std::string firstConv = "replicate";
  bool reinitHead = false;  // leave head.* and ds_heads.* at their fresh initialisation
  void validate(const std::string& where) const;
};

struct LoadReport {
  std::vector<std::string> loaded;   // copied as is
  std::vector<std::string> adapted;  // first convolution, channels adapted
  std::vector<std::string> fresh;    // left at random initialisation
  std::vector<std::string> unused;   // source tensors without a place in the model
  std::string summary() const;       // one line per group
};

LoadReport loadPartial(UNet3d& model, const StateDict& source, const TransferOptions& options);

// Part names: "encoder", "decoder", "head" (head and deep-supervision heads),
// "all_but_head", or any parameter-name prefix ("encoder.0.").
// Returns the parameter names matched; throws InputError for a part that
// matches nothing.
std::vector<std::string> matchPart(const UNet3d& model, const std::string& part);
std::vector<std::string> freeze(UNet3d& model, const std::vector<std::string>& parts);

}  // namespace mst::model
