#include "lib/core/Hash.h"
#include "lib/train/Trainer.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>

#include "lib/core/Error.h"
#include "lib/core/Fs.h"
#include "lib/core/Log.h"
#include "lib/core/Random.h"
#include "lib/infer/Predictor.h"
#include "lib/model/Checkpoint.h"
#include "lib/model/Precision.h"
#include "lib/model/Transfer.h"
#include "lib/model/UNet3d.h"
#include "lib/train/Ema.h"
#include "lib/train/GradScaler.h"
#include "lib/train/Losses.h"
#include "lib/train/Optimizer.h"
#include "lib/train/Outputs.h"
#include "lib/train/ResumeState.h"
#include "lib/train/Schedule.h"
#include "lib/train/Validation.h"

namespace mst::train {

namespace {

int64_t gInterruptAfter = 0;

struct Studies {
  std::vector<int> trainIdx, valIdx, testIdx;
};

// Cache indices of the training and validation studies; every unknown id is reported at once.
Studies resolveStudies(const TrainJob& job, const cache::CacheReader& reader) {
  Studies out;
  ProblemList problems;
  for (const auto& id : job.trainIds) {
    const int i = reader.indexOf(id);
    if (i < 0) problems.add("train: study '" + id + "' is not in cache '" + job.cache.string() + "'");
    else if (!reader.studies()[static_cast<size_t>(i)].hasLabel) problems.add("train: study '" + id + "' has no label");
    out.trainIdx.push_back(i);
  }
  for (const auto& id : job.valIds) {
    const int i = reader.indexOf(id);
    if (i < 0) problems.add("train: validation study '" + id + "' is not in cache '" + job.cache.string() + "'");
    out.valIdx.push_back(i);
  }
  if (job.train.testCurve)
    for (const auto& id : job.testIds) {
      const int i = reader.indexOf(id);
      if (i < 0) problems.add("train: test study '" + id + "' is not in cache '" + job.cache.string() + "'");
      out.testIdx.push_back(i);
    }
  if (job.trainIds.empty()) problems.add("train: no training studies");
  if (job.train.earlyStop && job.valIds.empty()) problems.add("train: early_stop = true needs validation studies");
  if (static_cast<int>(reader.channels().size()) != job.model.inChannels)
    problems.add("model: in_channels " + std::to_string(job.model.inChannels) + " but the cache has " +
                 std::to_string(reader.channels().size()) + " channels");
  problems.throwIfAny();
  return out;
}

// A fresh network: seeded initialisation, then the source weights (transfer) and freezing.
model::UNet3d buildNetwork(const TrainJob& job, bool resuming, TrainResult& res) {
  const TrainConfig& c = job.train;
  torch::manual_seed(c.seed);  // this process runs one training at a time (see Runner)
  model::UNet3d net(job.model);
  if (c.init == "source" && !resuming) {
    model::TransferOptions to;
    to.firstConv = c.firstConv;
    to.reinitHead = c.reinitHead;
    auto rep = model::loadPartial(net, model::loadStateDict(c.sourceCheckpoint), to);
    res.loadReport = rep.summary();
  }
  if (!c.freeze.empty()) res.frozen = model::freeze(net, c.freeze);
  return net;
}

cache::SamplerConfig samplerConfig(const TrainConfig& c) {
  cache::SamplerConfig sc;
  sc.patch = c.patch;
  sc.batchSize = c.batchSize;
  sc.lesionFraction = c.lesionFraction;
  sc.seed = mix64(c.seed ^ 0x5a5a5a5aULL);
  sc.threads = c.samplerThreads;
  sc.augment = c.augment;
  return sc;
}

// One training's files: the cache, the studies, the resume store and the exports.
struct RunFiles {
  explicit RunFiles(const TrainJob& j)
      : job(j),
        reader(std::make_shared<cache::CacheReader>(j.cache)),
        studies(resolveStudies(j, *reader)),
        configHash(resumeKey(j)),
        store(j.outDir, configHash) {}
  // The user-facing checkpoints are exports of the final generation.
  void exportFinal(const LoopState& st, const model::StateDict& finalWeights) {
    const auto bestPt = job.outDir / "best.pt", lastPt = job.outDir / "last.pt";
    exportCopy(store.bestFile(), bestPt);
    const Vec3 spacing = trainedSpacing();
    writeTextAtomic(model::sidecar(bestPt), sidecarJson(job, configHash, st, "best", spacing, fileHash(bestPt.string())));
    model::saveStateDict(lastPt, finalWeights);
    writeTextAtomic(model::sidecar(lastPt), sidecarJson(job, configHash, st, "finished", spacing, fileHash(lastPt.string())));
  }
  // Median spacing per axis of the training studies' cached grids.
  Vec3 trainedSpacing() const {
    Vec3 out{0, 0, 0};
    for (int a = 0; a < 3; ++a) {
      std::vector<double> v;
      for (const auto& id : job.trainIds) {
        const int i = reader->indexOf(id);
        if (i >= 0) v.push_back(reader->studies()[static_cast<size_t>(i)].mapping.final.spacing[static_cast<size_t>(a)]);
      }
      if (v.empty()) continue;
      std::sort(v.begin(), v.end());
      out[static_cast<size_t>(a)] = v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
    }
    return out;
  }
  std::filesystem::path logFile() const { return job.outDir / "train_log.jsonl"; }

  const TrainJob& job;
  std::shared_ptr<cache::CacheReader> reader;
  Studies studies;
  std::string configHash;
  ResumeStore store;
};

// One optimisation step on a batch; returns (loss, Dice loss, BCE).
std::array<double, 3> step(model::UNet3d& net, Optim& opt, const TrainJob& job, const cache::Batch& b,
                           const torch::Device& device, GradScaler& scaler) {
  // job.train.precision is resolved ("fp32", "bf16" or "fp16"): bf16 and fp16 autocast the forward pass
  // only; fp16 (CUDA) also scales the loss (GradScaler), a pass-through otherwise.
  auto x = torch::from_blob(const_cast<float*>(b.image.data()), {b.n, b.channels, b.patch[2], b.patch[1], b.patch[0]},
                            torch::kFloat32)
               .to(device);
  auto y = torch::from_blob(const_cast<float*>(b.label.data()), {b.n, 1, b.patch[2], b.patch[1], b.patch[0]}, torch::kFloat32)
               .to(device);
  opt.opt->zero_grad();
  std::vector<torch::Tensor> outputs;
  {
    model::AutocastScope autocast(job.train.precision, device);
    outputs = job.model.deepSupervision ? net->forwardAll(x) : std::vector<torch::Tensor>{net->forward(x)};
  }
  for (auto& o : outputs) o = o.to(torch::kFloat32);  // losses in fp32
  LossTerms l = segmentationLoss(outputs, y, job.train);
  scaler.scaled(l.total).backward();
  scaler.step(*opt.opt, net->parameters());
  return {l.total.item<double>(), l.dice, l.bce};
}

void restore(model::UNet3d& net, Optim& opt, Ema& ema, GradScaler& scaler, const ResumeStore::Loaded& loaded) {
  model::StateDict weights = loaded.model;
  if (!ema.takeFrom(weights) && ema.enabled())
    throw Error("'" + loaded.optimFile.string() + "': resume state without the weight average");
  if (!scaler.takeFrom(weights) && scaler.enabled())
    throw Error("'" + loaded.optimFile.string() + "': resume state without the loss scale");
  model::loadIntoModule(*net, weights, loaded.optimFile.string());
  torch::serialize::InputArchive in;
  in.load_from(loaded.optimFile.string());
  opt.opt->load(in);
}

void fill(TrainResult& res, const LoopState& st, const TrainConfig& c) {
  res.iterations = st.iteration;
  res.bestValF1 = st.stop.started ? st.bestValF1 : -1;
  res.bestIteration = st.bestIteration;
  res.stopReason = stopReason(st.stop, c.earlyStop);
  res.curve = st.curve;
  for (const auto& p : st.curve)
    if (p.split == "validation" && p.iteration == st.bestIteration && p.metrics.count("min_component_voxels"))
      res.minComponentVoxels = static_cast<int64_t>(p.metrics.at("min_component_voxels"));
}

}  // namespace

void setInterruptAfterForTesting(int64_t n) { gInterruptAfter = n; }

TrainResult train(const TrainJob& requested) {
  TrainJob job = requested;
  job.train.precision = job.train.resolvedPrecision();  // recorded resolved in the sidecars
  if (job.validation.precision == "train") job.validation.precision = job.train.precision;
  if (job.train.valOverlap >= 0) job.validation.overlap = job.train.valOverlap;
  const TrainConfig& c = job.train;
  c.validate("train: ");
  job.model.validate("model: ");
  infer::checkDevice(c.device);
  const torch::Device device(c.device == "cuda" ? torch::kCUDA : torch::kCPU);
  const auto t0 = std::chrono::steady_clock::now();
  std::filesystem::create_directories(job.outDir);
  RunFiles files(job);
  TrainResult res;
  res.best = job.outDir / "best.pt";
  res.last = job.outDir / "last.pt";
  LoopState st;
  auto loaded = files.store.load();
  if (loaded && loaded->state.status == "finished") {
    files.exportFinal(loaded->state, loaded->model);
    fill(res, loaded->state, c);
    res.alreadyDone = true;
    return res;
  }
  const bool resume = loaded && loaded->state.iteration > 0;
  model::UNet3d net = buildNetwork(job, resume, res);
  net->to(device);
  Optim opt = makeOptimizer(net, c);
  Ema ema(net, c.emaDecay);
  GradScaler scaler(c.resolvedPrecision() == "fp16");
  if (resume) {
    st = loaded->state;
    restore(net, opt, ema, scaler, *loaded);
    res.resumed = true;
    log::info(job.outDir.string(), ": resuming at iteration ", st.iteration);
  }
  cache::PatchSampler sampler(files.reader, files.studies.trainIdx, samplerConfig(c));
  if (st.samplerPosition) sampler.seek(st.samplerPosition);
  auto commit = [&](int64_t it, const std::string& status) {
    st.iteration = it;
    st.samplerPosition = sampler.position();
    st.status = status;
    model::StateDict weights = model::stateDict(*net);
    if (status != "finished") {  // finished: the net holds the exported (averaged) weights
      ema.addTo(weights);
      scaler.addTo(weights);
    }
    files.store.commit(st, weights, *opt.opt);
  };

  TrainingLog tlog(job, files.logFile());
  const bool validating = !files.studies.valIdx.empty() && c.valEvery > 0;
  auto evaluate = [&](int64_t done) {  // the averaged weights, when averaging
    const auto e0 = std::chrono::steady_clock::now();
    ema.swap();
    evaluateAndKeepBest(net, *files.reader, files.studies.valIdx, files.studies.testIdx, job, device, done,
                        files.logFile(), st, files.store);
    ema.swap();
    tlog.exclude(std::chrono::duration<double>(std::chrono::steady_clock::now() - e0).count());
  };
  if (validating && !st.stop.started) evaluate(0);  // the starting level (and the first best)
  net->train();
  int64_t end = c.iterations;
  for (int64_t it = st.iteration; it < c.iterations; ++it) {
    if (gInterruptAfter > 0 && it >= gInterruptAfter) {
      commit(it, "interrupted");
      res.iterations = it;
      return res;
    }
    const double lrFactor = scheduleFactor(c, it, st.stop.reductions);
    setLr(opt, c, lrFactor);
    torch::manual_seed(mix64(c.seed + static_cast<uint64_t>(it)));  // dropout: a function of the iteration
    const cache::Batch b = sampler.next();
    tlog.step(it, b.n, step(net, opt, job, b, device, scaler), c.lr * lrFactor);
    ema.update();
    const bool lastIt = it + 1 == c.iterations;
    if (validating && ((it + 1) % c.valEvery == 0 || lastIt)) evaluate(it + 1);
    if (st.stop.plateau) {
      end = it + 1;
      break;
    }
    if ((it + 1) % c.checkpointEvery == 0 && !lastIt) commit(it + 1, "running");
  }
  ema.swap();  // the exported final weights are the average, when averaging
  const model::StateDict finalWeights = model::stateDict(*net);
  if (!st.stop.started) {  // no validation: the final weights are the best
    st.bestIteration = end;
    files.store.saveBest(finalWeights, end);
  }
  commit(end, "finished");
  files.exportFinal(st, finalWeights);
  tlog.finish();
  fill(res, st, c);
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return res;
}

}  // namespace mst::train
