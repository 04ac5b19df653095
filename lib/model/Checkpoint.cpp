#include "lib/model/Checkpoint.h"

#include <fstream>
#include <iterator>

#include "lib/core/Error.h"
#include "lib/core/Fs.h"

namespace mst::model {

StateDict stateDict(const torch::nn::Module& module) {
  StateDict d;
  for (const auto& p : module.named_parameters(true)) d[p.key()] = p.value().detach().to(torch::kCPU).contiguous().clone();
  for (const auto& b : module.named_buffers(true)) d[b.key()] = b.value().detach().to(torch::kCPU).contiguous().clone();
  return d;
}

void saveStateDict(const std::filesystem::path& file, const StateDict& dict) {
  c10::Dict<std::string, torch::Tensor> d;
  for (const auto& [k, v] : dict) d.insert(k, v);
  const std::vector<char> bytes = torch::pickle_save(d);
  writeTextAtomic(file, std::string(bytes.begin(), bytes.end()));
}

StateDict loadStateDict(const std::filesystem::path& file) {
  std::ifstream f(file, std::ios::binary);
  if (!f) throw InputError("'" + file.string() + "': checkpoint not found");
  std::vector<char> bytes((std::istreambuf_iterator<char>(f)), {});
  torch::IValue v;
  try {
    v = torch::pickle_load(bytes);
  } catch (const std::exception& e) {
    std::string what = e.what();
    const bool ordered = what.find("OrderedDict") != std::string::npos || what.find("collections") != std::string::npos;
    throw InputError("'" + file.string() + "': cannot read as a dict of tensors" +
                     (ordered ? std::string(" (it holds an OrderedDict: in Python re-save it with "
                                            "torch.save(dict(model.state_dict()), path))")
                              : std::string(" (expected a file written by torch.save(dict(model.state_dict()), path) "
                                            "or by mstransfer)")) +
                     ": " + what.substr(0, what.find('\n')));
  }
  if (!v.isGenericDict()) throw InputError("'" + file.string() + "': expected a dict of tensors, found " + v.tagKind());
  StateDict out;
  for (const auto& kv : v.toGenericDict()) {
    if (!kv.key().isString() || !kv.value().isTensor())
      throw InputError("'" + file.string() + "': dict entries must be name -> tensor");
    out[kv.key().toStringRef()] = kv.value().toTensor();
  }
  return out;
}

void loadIntoModule(torch::nn::Module& module, const StateDict& dict, const std::string& source) {
  torch::NoGradGuard ng;
  ProblemList p;
  size_t matched = 0;
  auto copyAll = [&](auto items) {
    for (auto& item : items) {
      auto it = dict.find(item.key());
      if (it == dict.end()) {
        p.add(source + ": missing tensor '" + item.key() + "'");
        continue;
      }
      if (it->second.sizes() != item.value().sizes()) {
        p.add(source + ": tensor '" + item.key() + "' has shape " + c10::str(it->second.sizes()) + ", expected " +
              c10::str(item.value().sizes()));
        continue;
      }
      item.value().copy_(it->second);
      ++matched;
    }
  };
  copyAll(module.named_parameters(true));
  copyAll(module.named_buffers(true));
  if (matched != dict.size() && p.empty())
    p.add(source + ": holds " + std::to_string(dict.size() - matched) + " tensors the model does not have");
  p.throwIfAny();
}

std::filesystem::path sidecar(const std::filesystem::path& file) {
  auto s = file;
  s += ".json";
  return s;
}

}  // namespace mst::model
