// Exponential moving average of a network's parameters (Polyak averaging):
// ema <- decay * ema + (1 - decay) * w after every optimiser step. With
// train.ema_decay > 0 the averaged weights are the ones evaluated, selected
// and exported; training continues on the raw weights. The average travels
// in the resume state (keys "ema.<name>" of the generation's model file), so
// a resumed run is bit-identical.
#pragma once

#include <torch/torch.h>

#include <map>
#include <string>

#include "lib/model/Checkpoint.h"
#include "lib/model/UNet3d.h"

namespace mst::train {

class Ema {
 public:
  Ema(model::UNet3d& net, double decay);  // starts from the network's current parameters
  bool enabled() const { return decay_ > 0; }
  void update();                          // after an optimiser step
  void swap();                            // exchanges the averaged and the network's parameters
  void addTo(model::StateDict& dict) const;       // adds "ema.<name>" entries
  // Takes the "ema.<name>" entries out of `dict` (a resumed generation); false when it has none.
  bool takeFrom(model::StateDict& dict);

 private:
  model::UNet3d& net_;
  double decay_;
  std::map<std::string, torch::Tensor> avg_;
};

}  // namespace mst::train
