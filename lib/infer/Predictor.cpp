#include "lib/infer/Predictor.h"

#include <torch/torch.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>

#include "lib/config/Json.h"
#include "lib/core/Error.h"
#include "lib/core/Fs.h"
#include "lib/core/Log.h"
#include "lib/core/Progress.h"
#include "lib/eval/Evaluation.h"
#include "lib/infer/SlidingWindow.h"
#include "lib/io/Nifti.h"
#include "lib/metrics/Components.h"
#include "lib/model/Checkpoint.h"

namespace mst::infer {

bool cudaAvailable() { return torch::cuda::is_available(); }

void checkDevice(const std::string& device) {
  if (device == "cpu") return;
  if (device == "cuda") {
    if (!cudaAvailable())
      throw InputError("--device cuda: this LibTorch has no CUDA support or no GPU is visible (use --device cpu, or build "
                       "with a CUDA LibTorch through Torch_DIR)");
    return;
  }
  throw InputError("--device: expected 'cpu' or 'cuda', got '" + device + "'");
}

ModelMeta readModelMeta(const std::filesystem::path& checkpoint) {
  const auto side = model::sidecar(checkpoint);
  std::error_code ec;
  if (!std::filesystem::exists(checkpoint, ec)) throw InputError("'" + checkpoint.string() + "': checkpoint not found");
  if (!std::filesystem::exists(side, ec))
    throw InputError("'" + side.string() + "': checkpoint metadata not found (expected beside the checkpoint)");
  ModelMeta m;
  try {
    auto j = nlohmann::json::parse(readText(side));
    m.model = config::fromJson<model::UNetOptions>(j.at("model"), "model.");
    m.preprocess = config::fromJson<preprocess::PreprocessConfig>(j.at("preprocess"), "preprocess.");
    auto p = j.at("patch");
    m.patch = {p[0], p[1], p[2]};
    if (j.contains("train") && j["train"].contains("precision")) m.trainPrecision = j["train"]["precision"].get<std::string>();
    if (m.trainPrecision != "bf16" && m.trainPrecision != "fp16") m.trainPrecision = "fp32";
    if (j.contains("trained_spacing_mm"))
      for (size_t a = 0; a < 3; ++a) m.trainedSpacingMm[a] = j["trained_spacing_mm"].at(a).get<double>();
  } catch (const std::exception& e) {
    throw InputError("'" + side.string() + "': malformed checkpoint metadata: " + e.what());
  }
  return m;
}

PredictReport predictFromCache(const std::filesystem::path& checkpoint, const cache::CacheReader& cache,
                               const std::vector<std::string>& ids, const std::filesystem::path& outDir,
                               const PredictOptions& o) {
  o.infer.validate("infer: ");
  checkDevice(o.device);
  const auto t0 = std::chrono::steady_clock::now();
  ModelMeta meta = readModelMeta(checkpoint);
  if (cache.channels() != meta.preprocess.channels)
    throw InputError("'" + cache.file().string() + "': cache channels differ from the model's");
  model::UNet3d net(meta.model);
  model::loadIntoModule(*net, model::loadStateDict(checkpoint), checkpoint.string());
  const torch::Device device(o.device == "cuda" ? torch::kCUDA : torch::kCPU);
  net->to(device);
  std::vector<int> which;
  if (ids.empty()) {
    for (size_t i = 0; i < cache.studies().size(); ++i) which.push_back(static_cast<int>(i));
  } else {
    ProblemList p;
    for (const auto& id : ids) {
      const int i = cache.indexOf(id);
      if (i < 0) p.add("'" + cache.file().string() + "': no study '" + id + "'");
      which.push_back(i);
    }
    p.throwIfAny();
  }
  std::filesystem::create_directories(outDir);
  std::unique_ptr<Progress> bar;
  if (o.progress) bar = std::make_unique<Progress>("predict", static_cast<int64_t>(which.size()));
  int done = 0;
  infer::InferConfig ic = o.infer;
  if (ic.precision == "train") ic.precision = meta.trainPrecision;
  if (ic.precision == "fp16" && o.device != "cuda") ic.precision = "fp32";  // CPU autocast has no fp16
  for (int s : which) {
    const auto& m = cache.studies()[static_cast<size_t>(s)];
    FloatVolume onFinal = predictCachedStudy(net, cache, s, ic.windowFor(meta.patch), ic, device);
    FloatVolume onRef = preprocess::toReference(onFinal, m.mapping, true);
    MaskVolume mask = metrics::binarize(onRef, o.infer.threshold, o.infer.minComponentVoxels);
    io::writeImage(outDir / eval::probFileName(m.id), onRef);
    io::writeMask(outDir / eval::maskFileName(m.id), mask);
    ++done;
    if (bar) bar->update(done);
  }
  if (bar) bar->finish();
  PredictReport r;
  r.studies = done;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

preprocess::PreprocessConfig effectivePreprocess(const ModelMeta& meta, bool keepInputSpacing) {
  preprocess::PreprocessConfig pre = meta.preprocess;
  if (keepInputSpacing) return pre;
  for (size_t a = 0; a < 3; ++a)
    if (pre.targetSpacingMm[a] == 0 && meta.trainedSpacingMm[a] > 0) pre.targetSpacingMm[a] = meta.trainedSpacingMm[a];
  return pre;
}

PredictReport predictManifest(const std::filesystem::path& checkpoint, const io::Manifest& manifest,
                              const std::filesystem::path& cacheFile, const std::filesystem::path& outDir,
                              const PredictOptions& o) {
  ModelMeta meta = readModelMeta(checkpoint);
  manifest.requireChannels(meta.preprocess.channels);
  const preprocess::PreprocessConfig pre = effectivePreprocess(meta, o.keepInputSpacing);
  if (pre.targetSpacingMm != meta.preprocess.targetSpacingMm && o.progress)
    log::info("predict: resampling inputs to the model's training spacing ", pre.targetSpacingMm[0], " x ",
              pre.targetSpacingMm[1], " x ", pre.targetSpacingMm[2], " mm (--keep-input-spacing to keep theirs)");
  cache::BuildOptions bo;
  bo.threads = o.threads;
  bo.progress = o.progress;
  cache::buildCache(manifest, pre, cacheFile, bo);
  cache::CacheReader reader(cacheFile);
  std::vector<std::string> ids;
  for (const auto& r : manifest.rows) ids.push_back(r.id());
  return predictFromCache(checkpoint, reader, ids, outDir, o);
}

}  // namespace mst::infer
