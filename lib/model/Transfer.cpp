#include "lib/model/Transfer.h"

#include <set>
#include <sstream>

#include "lib/core/Error.h"

namespace mst::model {

void TransferOptions::validate(const std::string& where) const {
  if (firstConv != "replicate" && firstConv != "average" && firstConv != "zero")
    throw InputError(where + "first_conv: expected 'replicate', 'average' or 'zero', got '" + firstConv + "'");
}

std::string LoadReport::summary() const {
  std::ostringstream os;
  auto list = [&](const char* what, const std::vector<std::string>& v) {
    os << what << " " << v.size();
    if (!v.empty() && v.size() <= 6) {
      os << " (";
      for (size_t i = 0; i < v.size(); ++i) os << (i ? ", " : "") << v[i];
      os << ")";
    }
    os << "\n";
  };
  list("loaded", loaded);
  list("adapted", adapted);
  list("new", fresh);
  list("unused from source", unused);
  return os.str();
}

namespace {
bool isHead(const std::string& name) { return name.rfind("head.", 0) == 0 || name.rfind("ds_heads.", 0) == 0; }
}  // namespace

LoadReport loadPartial(UNet3d& model, const StateDict& source, const TransferOptions& o) {
  o.validate("transfer: ");
  torch::NoGradGuard ng;
  LoadReport r;
  std::set<std::string> used;
  auto handle = [&](const std::string& name, torch::Tensor& target) {
    auto it = source.find(name);
    if (it == source.end() || (o.reinitHead && isHead(name))) {
      r.fresh.push_back(name);
      return;
    }
    const torch::Tensor& src = it->second;
    if (src.sizes() == target.sizes()) {
      target.copy_(src);
      r.loaded.push_back(name);
      used.insert(name);
      return;
    }
    // First convolution: [out, in, k, k, k] with the same out and kernel, another `in`.
    if (name == "encoder.0.conv1.weight" && src.dim() == 5 && target.dim() == 5 && src.size(0) == target.size(0) &&
        src.sizes().slice(2) == target.sizes().slice(2)) {
      const int64_t cs = src.size(1), cn = target.size(1);
      torch::Tensor w = torch::zeros_like(target);
      const double scale = static_cast<double>(cs) / static_cast<double>(cn);
      if (o.firstConv == "zero") {
        const int64_t m = std::min(cs, cn);
        w.narrow(1, 0, m).copy_(src.narrow(1, 0, m));
      } else if (o.firstConv == "average") {
        w.copy_((src.mean(1, true) * scale).expand_as(w));
      } else {
        for (int64_t c = 0; c < cn; ++c) w.select(1, c).copy_(src.select(1, c % cs) * scale);
      }
      target.copy_(w);
      r.adapted.push_back(name + " (" + std::to_string(cs) + " -> " + std::to_string(cn) + " input channels, " +
                          o.firstConv + ")");
      used.insert(name);
      return;
    }
    r.fresh.push_back(name + " (shape " + c10::str(target.sizes()) + " vs source " + c10::str(src.sizes()) + ")");
  };
  for (auto& p : model->named_parameters(true)) handle(p.key(), p.value());
  for (auto& b : model->named_buffers(true)) handle(b.key(), b.value());
  for (const auto& [k, v] : source)
    if (!used.count(k)) r.unused.push_back(k);
  return r;
}

std::vector<std::string> matchPart(const UNet3d& model, const std::string& part) {
  std::vector<std::string> out;
  for (const auto& p : model->named_parameters(true)) {
    const std::string& n = p.key();
    bool m = false;
    if (part == "encoder") m = n.rfind("encoder.", 0) == 0;
    else if (part == "decoder") m = n.rfind("decoder.", 0) == 0;
    else if (part == "head") m = isHead(n);
    else if (part == "all_but_head") m = !isHead(n);
    else m = n.rfind(part, 0) == 0;
    if (m) out.push_back(n);
  }
  if (out.empty())
    throw InputError("part '" + part +
                     "' matches no parameter (use encoder, decoder, head, all_but_head or a prefix such as "
                     "'encoder.0.')");
  return out;
}

std::vector<std::string> freeze(UNet3d& model, const std::vector<std::string>& parts) {
  std::set<std::string> names;
  for (const auto& part : parts)
    for (const auto& n : matchPart(model, part)) names.insert(n);
  for (auto& p : model->named_parameters(true))
    if (names.count(p.key())) p.value().set_requires_grad(false);
  return {names.begin(), names.end()};
}

}  // namespace mst::model
