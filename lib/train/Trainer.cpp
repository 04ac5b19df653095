#include "lib/train/Trainer.h"

#include <torch/torch.h>

#include <array>
#include <chrono>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "lib/core/Error.h"
#include "lib/core/Fs.h"
#include "lib/core/Hash.h"
#include "lib/core/Log.h"
#include "lib/core/Progress.h"
#include "lib/core/Random.h"
#include "lib/core/Version.h"
#include "lib/infer/Predictor.h"
#include "lib/infer/SlidingWindow.h"
#include "lib/metrics/LesionMetrics.h"
#include "lib/model/Checkpoint.h"
#include "lib/model/Transfer.h"
#include "lib/model/UNet3d.h"
#include "lib/train/ResumeState.h"

namespace mst::train {

namespace {
int64_t gInterruptAfter = 0;
}
void setInterruptAfterForTesting(int64_t n) { gInterruptAfter = n; }

void TrainConfig::validate(const std::string& where) const {
  ProblemList p;
  if (iterations < 1) p.add(where + "iterations: expected >= 1, got " + std::to_string(iterations));
  if (batchSize < 1) p.add(where + "batch_size: expected >= 1, got " + std::to_string(batchSize));
  if (optimizer != "adam" && optimizer != "sgd") p.add(where + "optimizer: expected 'adam' or 'sgd', got '" + optimizer + "'");
  if (!(lr > 0 && lr < 10)) p.add(where + "lr: expected 0 < lr < 10, got " + std::to_string(lr));
  if (schedule != "poly" && schedule != "cosine" && schedule != "constant")
    p.add(where + "schedule: expected 'poly', 'cosine' or 'constant', got '" + schedule + "'");
  if (warmup < 0 || warmup >= iterations) p.add(where + "warmup: expected 0 <= warmup < iterations");
  if (diceWeight < 0 || bceWeight < 0 || diceWeight + bceWeight <= 0)
    p.add(where + "loss weights: expected non-negative dice_weight and bce_weight, not both 0");
  if (init != "scratch" && init != "source") p.add(where + "init: expected 'scratch' or 'source', got '" + init + "'");
  if (init == "source" && sourceCheckpoint.empty()) p.add(where + "init = 'source' needs a source checkpoint");
  if (valEvery < 0 || checkpointEvery < 1 || logEvery < 1) p.add(where + "val_every >= 0, checkpoint_every >= 1, log_every >= 1");
  if (!(lesionFraction >= 0 && lesionFraction <= 1))
    p.add(where + "lesion_fraction: expected a share in [0, 1], got " + log::cat(lesionFraction));
  if (!(momentum >= 0 && momentum < 1)) p.add(where + "momentum: expected [0, 1), got " + log::cat(momentum));
  if (!(weightDecay >= 0)) p.add(where + "weight_decay: expected >= 0, got " + log::cat(weightDecay));
  if (samplerThreads < 0) p.add(where + "sampler_threads: expected >= 0, got " + std::to_string(samplerThreads));
  for (const auto& [k, v] : lrMultipliers)
    if (!(v >= 0)) p.add(where + "lr_multipliers." + k + ": expected >= 0");
  for (int a = 0; a < 3; ++a)
    if (patch[a] < 8) p.add(where + "patch: expected >= 8 voxels per axis");
  p.throwIfAny();
  augment.validate(where + "augment.");
}

std::string TrainConfig::canonical() const {
  std::ostringstream os;
  os << "it=" << iterations << ";bs=" << batchSize << ";patch=" << patch[0] << "," << patch[1] << "," << patch[2]
     << ";opt=" << optimizer << ";lr=" << lr << ";mom=" << momentum << ";wd=" << weightDecay << ";sched=" << schedule
     << ";warm=" << warmup << ";dice=" << diceWeight << ";bce=" << bceWeight << ";lf=" << lesionFraction
     << ";aug=" << augment.enabled << "," << augment.flipProb << "," << augment.rotateProb << "," << augment.maxRotateDeg
     << "," << augment.scaleProb << "," << augment.scaleMin << "," << augment.scaleMax << "," << augment.intensityProb
     << "," << augment.gammaProb << "," << augment.gammaMin << "," << augment.gammaMax << "," << augment.noiseProb << ","
     << augment.noiseMaxSigma << ";val=" << valEvery << ";seed=" << seed << ";init=" << init << ";src="
     << sourceCheckpoint.string() << ";fc=" << firstConv << ";reinit=" << reinitHead << ";freeze=";
  for (const auto& f : freeze) os << f << ",";
  os << ";lrm=";
  for (const auto& [k, v] : lrMultipliers) os << k << ":" << v << ",";
  return os.str();
}

namespace {

double scheduleFactor(const TrainConfig& c, int64_t it) {
  if (c.warmup > 0 && it < c.warmup) return static_cast<double>(it + 1) / static_cast<double>(c.warmup);
  const double t = static_cast<double>(it - c.warmup) / static_cast<double>(std::max<int64_t>(1, c.iterations - c.warmup));
  if (c.schedule == "poly") return std::pow(1.0 - t, 0.9);
  if (c.schedule == "cosine") return 0.5 * (1.0 + std::cos(M_PI * t));
  return 1.0;
}

torch::Tensor diceLoss(const torch::Tensor& logits, const torch::Tensor& target) {
  auto p = torch::sigmoid(logits);
  auto inter = (p * target).sum();
  auto denom = p.sum() + target.sum();
  return 1.0 - (2.0 * inter + 1e-5) / (denom + 1e-5);
}

struct Optim {
  std::unique_ptr<torch::optim::Optimizer> opt;
  std::vector<double> baseLr;  // per param group
};

Optim makeOptimizer(model::UNet3d& net, const TrainConfig& c) {
  // One parameter group per lr multiplier (first matching part wins), the rest at multiplier 1.
  std::vector<std::pair<double, std::vector<torch::Tensor>>> groups;
  std::map<std::string, double> multOf;
  for (const auto& [part, m] : c.lrMultipliers)
    for (const auto& n : model::matchPart(net, part))
      if (!multOf.count(n)) multOf[n] = m;
  std::map<double, size_t> groupOf;
  for (auto& p : net->named_parameters(true)) {
    if (!p.value().requires_grad()) continue;
    const double m = multOf.count(p.key()) ? multOf[p.key()] : 1.0;
    if (!groupOf.count(m)) {
      groupOf[m] = groups.size();
      groups.push_back({m, {}});
    }
    groups[groupOf[m]].second.push_back(p.value());
  }
  if (groups.empty()) throw InputError("train: every parameter is frozen; nothing to train");
  Optim o;
  if (c.optimizer == "adam") {
    std::vector<torch::optim::OptimizerParamGroup> pg;
    for (auto& [m, params] : groups) {
      pg.emplace_back(params, std::make_unique<torch::optim::AdamOptions>(
                                  torch::optim::AdamOptions(c.lr * m).weight_decay(c.weightDecay)));
      o.baseLr.push_back(c.lr * m);
    }
    o.opt = std::make_unique<torch::optim::Adam>(pg, torch::optim::AdamOptions(c.lr).weight_decay(c.weightDecay));
  } else {
    std::vector<torch::optim::OptimizerParamGroup> pg;
    for (auto& [m, params] : groups) {
      pg.emplace_back(params, std::make_unique<torch::optim::SGDOptions>(torch::optim::SGDOptions(c.lr * m)
                                                                             .momentum(c.momentum)
                                                                             .nesterov(true)
                                                                             .weight_decay(c.weightDecay)));
      o.baseLr.push_back(c.lr * m);
    }
    o.opt = std::make_unique<torch::optim::SGD>(
        pg, torch::optim::SGDOptions(c.lr).momentum(c.momentum).nesterov(true).weight_decay(c.weightDecay));
  }
  return o;
}

void setLr(Optim& o, const TrainConfig& c, double factor) {
  auto& groups = o.opt->param_groups();
  for (size_t g = 0; g < groups.size(); ++g) {
    const double lr = o.baseLr[g] * factor;
    if (c.optimizer == "adam") static_cast<torch::optim::AdamOptions&>(groups[g].options()).lr(lr);
    else static_cast<torch::optim::SGDOptions&>(groups[g].options()).lr(lr);
  }
}

void appendLine(const std::filesystem::path& file, const std::string& line) {
  std::ofstream f(file, std::ios::app);
  f << line << "\n";
}

// Mean lesion-wise F1 of the validation studies (undefined F1s skipped; a
// study with neither true nor predicted lesions counts as 1).
double validate(model::UNet3d& net, const cache::CacheReader& reader, const std::vector<int>& studies,
                const Size3& patch, const infer::InferConfig& cfg, const torch::Device& device) {
  metrics::LesionOptions lo;
  double sum = 0;
  int n = 0;
  for (int s : studies) {
    FloatVolume pv = infer::predictCachedStudy(net, reader, s, patch, cfg, device);
    MaskVolume pred = infer::binarize(pv, cfg.threshold, cfg.minComponentVoxels);
    auto r = metrics::evaluate(pred, reader.readLabel(s), lo);
    if (r.f1) {
      sum += *r.f1;
      ++n;
    } else if (r.nTruth == 0 && r.nPred == 0) {
      sum += 1.0;
      ++n;
    }
  }
  return n ? sum / n : 0.0;
}

}  // namespace

namespace {

// Cache indices of the training and validation studies; every unknown id is reported at once.
void resolveStudies(const TrainJob& job, const cache::CacheReader& reader, std::vector<int>& trainIdx,
                    std::vector<int>& valIdx) {
  ProblemList problems;
  for (const auto& id : job.trainIds) {
    const int i = reader.indexOf(id);
    if (i < 0) problems.add("train: study '" + id + "' is not in cache '" + job.cache.string() + "'");
    else if (!reader.studies()[static_cast<size_t>(i)].hasLabel) problems.add("train: study '" + id + "' has no label");
    trainIdx.push_back(i);
  }
  for (const auto& id : job.valIds) {
    const int i = reader.indexOf(id);
    if (i < 0) problems.add("train: validation study '" + id + "' is not in cache '" + job.cache.string() + "'");
    valIdx.push_back(i);
  }
  if (job.trainIds.empty()) problems.add("train: no training studies");
  if (static_cast<int>(reader.channels().size()) != job.model.inChannels)
    problems.add("model: in_channels " + std::to_string(job.model.inChannels) + " but the cache has " +
                 std::to_string(reader.channels().size()) + " channels");
  problems.throwIfAny();
}

// One training step; returns (loss, dice loss, bce).
std::array<double, 3> step(model::UNet3d& net, Optim& opt, const TrainConfig& c, bool deepSupervision,
                           const torch::Tensor& x, const torch::Tensor& y) {
  opt.opt->zero_grad();
  torch::Tensor loss;
  double dval = 0, bval = 0;
  if (deepSupervision) {
    auto outs = net->forwardAll(x);
    double wsum = 0;
    loss = torch::zeros({}, x.options());
    for (size_t k = 0; k < outs.size(); ++k) {
      const double w = 1.0 / static_cast<double>(1 << k);
      auto yk = k == 0 ? y
                       : torch::nn::functional::interpolate(
                             y, torch::nn::functional::InterpolateFuncOptions()
                                    .size(std::vector<int64_t>{outs[k].size(2), outs[k].size(3), outs[k].size(4)})
                                    .mode(torch::kNearest));
      auto d = diceLoss(outs[k], yk), bc = torch::binary_cross_entropy_with_logits(outs[k], yk);
      loss = loss + w * (c.diceWeight * d + c.bceWeight * bc);
      if (k == 0) {
        dval = d.item<double>();
        bval = bc.item<double>();
      }
      wsum += w;
    }
    loss = loss / wsum;
  } else {
    auto out = net->forward(x);
    auto d = diceLoss(out, y), bc = torch::binary_cross_entropy_with_logits(out, y);
    loss = c.diceWeight * d + c.bceWeight * bc;
    dval = d.item<double>();
    bval = bc.item<double>();
  }
  loss.backward();
  opt.opt->step();
  return {loss.item<double>(), dval, bval};
}

// Copies `from` to `to` atomically unless `to` already holds the same bytes.
void exportCopy(const std::filesystem::path& from, const std::filesystem::path& to) {
  const std::string bytes = readText(from);
  if (std::filesystem::exists(to) && readText(to) == bytes) return;
  writeTextAtomic(to, bytes);
}

// The resume state belongs to these settings. The source model enters by content, not by path,
// so a results folder can move (or be copied) without invalidating fine-tuning runs' state.
std::string resumeKey(const TrainJob& job) {
  TrainConfig identity = job.train;
  if (identity.init == "source") {
    const auto& ck = job.train.sourceCheckpoint;
    const FileRecord src = recordFile(ck.parent_path(), ck.filename().string());
    identity.sourceCheckpoint = "content:" + src.hash + ":" + std::to_string(src.size);
  }
  return Hasher().str(identity.canonical()).str(job.model.toJson()).str(job.preprocess.canonical()).hex();
}

// The JSON sidecar of an exported checkpoint (best.pt.json, last.pt.json).
std::string sidecarJson(const TrainJob& job, const std::string& configHash, const LoopState& s, const std::string& status) {
  const TrainConfig& c = job.train;
  nlohmann::json j;
  j["model"] = nlohmann::json::parse(job.model.toJson());
  j["preprocess"] = nlohmann::json::parse(job.preprocess.toJson());
  j["patch"] = {c.patch[0], c.patch[1], c.patch[2]};
  j["iteration"] = s.iteration;
  j["iterations"] = c.iterations;
  j["status"] = status;
  j["config_hash"] = configHash;
  j["train_config"] = c.canonical();
  j["best_val_f1"] = s.bestValF1;
  j["best_iteration"] = s.bestIteration;
  j["train_studies"] = job.trainIds;
  j["val_studies"] = job.valIds;
  j["seed"] = c.seed;
  j["threads"] = torch::get_num_threads();
  j["git_commit"] = gitCommit();
  j["mstransfer_version"] = version();
  j["libraries"] = libraryVersions();
  return j.dump(2);
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

// train_log.jsonl every log_every iterations, and the progress bar.
class TrainingLog {
 public:
  TrainingLog(const TrainJob& job, std::filesystem::path file) : c_(job.train), file_(std::move(file)) {
    if (job.progress) bar_ = std::make_unique<Progress>(job.label, c_.iterations);
  }
  void step(int64_t it, int64_t batch, const std::array<double, 3>& losses) {
    const auto [lv, dval, bval] = losses;
    patches_ += batch;
    ema_ = ema_ < 0 ? lv : 0.95 * ema_ + 0.05 * lv;
    const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double rate = el > 0 ? static_cast<double>(patches_) / el : 0.0;
    if ((it + 1) % c_.logEvery == 0 || it + 1 == c_.iterations)
      appendLine(file_, nlohmann::json({{"iteration", it + 1}, {"loss", lv}, {"dice_loss", dval}, {"bce", bval},
                                        {"lr", c_.lr * scheduleFactor(c_, it)}, {"patches_per_s", rate},
                                        {"elapsed_s", el}})
                            .dump());
    if (bar_) {
      char extra[96];
      std::snprintf(extra, sizeof extra, "loss %.3f | %.1f patches/s", ema_, rate);
      bar_->update(it + 1, extra);
    }
  }
  void finish() {
    if (bar_) bar_->finish(ema_ >= 0 ? "loss " + std::to_string(ema_).substr(0, 5) : "");
  }

 private:
  const TrainConfig& c_;
  std::filesystem::path file_;
  std::unique_ptr<Progress> bar_;
  double ema_ = -1;
  int64_t patches_ = 0;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

// Lesion-wise F1 on the validation studies after `iteration`; the best weights go to the resume store.
void validateAndKeepBest(model::UNet3d& net, const cache::CacheReader& reader, const std::vector<int>& valIdx,
                         const TrainJob& job, const torch::Device& device, int64_t iteration,
                         const std::filesystem::path& logFile, LoopState& st, ResumeStore& store) {
  const double f1 = validate(net, reader, valIdx, job.train.patch, job.validation, device);
  net->train();
  appendLine(logFile, nlohmann::json({{"iteration", iteration}, {"val_lesion_f1", f1}}).dump());
  if (f1 > st.bestValF1) {
    st.bestValF1 = f1;
    st.bestIteration = iteration;
    store.saveBest(model::stateDict(*net), iteration);
  }
}

}  // namespace

TrainResult train(const TrainJob& job) {
  const TrainConfig& c = job.train;
  c.validate("train: ");
  job.model.validate("model: ");
  infer::checkDevice(c.device);
  const torch::Device device(c.device == "cuda" ? torch::kCUDA : torch::kCPU);
  const auto t0 = std::chrono::steady_clock::now();
  std::filesystem::create_directories(job.outDir);
  const auto lastPt = job.outDir / "last.pt", bestPt = job.outDir / "best.pt";
  const auto logFile = job.outDir / "train_log.jsonl";

  auto reader = std::make_shared<cache::CacheReader>(job.cache);
  std::vector<int> trainIdx, valIdx;
  resolveStudies(job, *reader, trainIdx, valIdx);

  const std::string configHash = resumeKey(job);
  auto metaJson = [&](const LoopState& s, const std::string& status) { return sidecarJson(job, configHash, s, status); };

  TrainResult res;
  res.best = bestPt;
  res.last = lastPt;
  ResumeStore store(job.outDir, configHash);
  LoopState st;
  auto loaded = store.load();
  // The user-facing checkpoints are exports of the final generation.
  auto exportFinal = [&](const model::StateDict& finalWeights) {
    exportCopy(store.bestFile(), bestPt);
    writeTextAtomic(model::sidecar(bestPt), metaJson(st, "best"));
    model::saveStateDict(lastPt, finalWeights);
    writeTextAtomic(model::sidecar(lastPt), metaJson(st, "finished"));
  };
  if (loaded && loaded->state.status == "finished") {
    st = loaded->state;
    exportFinal(loaded->model);
    res.alreadyDone = true;
    res.iterations = st.iteration;
    res.bestValF1 = st.bestValF1;
    res.bestIteration = st.bestIteration;
    return res;
  }
  const bool resume = loaded && loaded->state.iteration > 0;

  model::UNet3d net = buildNetwork(job, resume, res);
  net->to(device);
  Optim opt = makeOptimizer(net, c);
  if (resume) {
    st = loaded->state;
    model::loadIntoModule(*net, loaded->model, loaded->optimFile.string());
    torch::serialize::InputArchive in;
    in.load_from(loaded->optimFile.string());
    opt.opt->load(in);
    res.resumed = true;
    log::info(job.outDir.string(), ": resuming at iteration ", st.iteration);
  }

  cache::PatchSampler sampler(reader, trainIdx, samplerConfig(c));
  if (st.samplerPosition) sampler.seek(st.samplerPosition);
  auto commit = [&](int64_t it, const std::string& status) {
    st.iteration = it;
    st.samplerPosition = sampler.position();
    st.status = status;
    store.commit(st, model::stateDict(*net), *opt.opt);
  };

  TrainingLog tlog(job, logFile);
  net->train();
  for (int64_t it = st.iteration; it < c.iterations; ++it) {
    if (gInterruptAfter > 0 && it >= gInterruptAfter) {
      commit(it, "interrupted");
      res.iterations = it;
      return res;
    }
    setLr(opt, c, scheduleFactor(c, it));
    torch::manual_seed(mix64(c.seed + static_cast<uint64_t>(it)));  // dropout: a function of the iteration
    cache::Batch b = sampler.next();
    auto x = torch::from_blob(b.image.data(), {b.n, b.channels, b.patch[2], b.patch[1], b.patch[0]}, torch::kFloat32).to(device);
    auto y = torch::from_blob(b.label.data(), {b.n, 1, b.patch[2], b.patch[1], b.patch[0]}, torch::kFloat32).to(device);
    tlog.step(it, b.n, step(net, opt, c, job.model.deepSupervision, x, y));
    const bool lastIt = it + 1 == c.iterations;
    if (!valIdx.empty() && c.valEvery > 0 && ((it + 1) % c.valEvery == 0 || lastIt))
      validateAndKeepBest(net, *reader, valIdx, job, device, it + 1, logFile, st, store);
    if ((it + 1) % c.checkpointEvery == 0 && !lastIt) commit(it + 1, "running");
  }
  const model::StateDict finalWeights = model::stateDict(*net);
  if (st.bestIteration == 0) {  // no validation: the final weights are the best
    st.bestIteration = c.iterations;
    store.saveBest(finalWeights, c.iterations);
  }
  commit(c.iterations, "finished");
  exportFinal(finalWeights);
  tlog.finish();
  res.iterations = c.iterations;
  res.bestValF1 = st.bestValF1;
  res.bestIteration = st.bestIteration;
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return res;
}

}  // namespace mst::train
