// Checkpoints: model weights as a plain dict of tensors (name -> tensor),
// written with torch::pickle_save, i.e. the format of
// torch.save(dict(model.state_dict()), path): Python's torch.load() reads it
// and a state dict saved that way in Python loads here. A JSON sidecar
// (<file>.json) holds the model options, channels, preprocessing and
// training state.
//
// LibTorch 1.13's pickle_load cannot read the OrderedDict that
// torch.save(model.state_dict()) writes: such files get a clear error that
// says how to re-save them.
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <string>

#include "lib/model/UNet3d.h"

namespace mst::model {

using StateDict = std::map<std::string, torch::Tensor>;

StateDict stateDict(const torch::nn::Module& module);  // parameters and buffers, on CPU, contiguous
void saveStateDict(const std::filesystem::path& file, const StateDict& dict);  // atomic
StateDict loadStateDict(const std::filesystem::path& file);  // throws InputError naming the file
// Copies every tensor of `dict` into the module; strict: names and shapes must match exactly.
void loadIntoModule(torch::nn::Module& module, const StateDict& dict, const std::string& source);

// The sidecar: "<file>.json" beside "<file>".
std::filesystem::path sidecar(const std::filesystem::path& file);

}  // namespace mst::model
