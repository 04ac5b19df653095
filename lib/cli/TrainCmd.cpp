#include <toml++/toml.h>

#include <algorithm>
#include <map>
#include <iostream>
#include <sstream>

#include "lib/cache/Cache.h"
#include "lib/cli/CliCommon.h"
#include "lib/cli/Commands.h"
#include "lib/core/Error.h"
#include "lib/core/Log.h"
#include "lib/core/Random.h"
#include "lib/experiment/Sections.h"
#include "lib/experiment/TomlFile.h"
#include "lib/infer/Predictor.h"
#include "lib/io/Manifest.h"
#include "lib/train/Trainer.h"
#include "lib/train/Threads.h"

namespace mst::cli {

namespace {
const toml::table* table(const experiment::TomlDocument& d, const char* name) {
  auto* n = d.root->get(name);
  return n ? n->as_table() : nullptr;
}
// The settings of a training: the experiment file's sections when given, else the defaults.
struct TrainSettings {
  std::vector<std::string> channels;
  preprocess::PreprocessConfig pc;
  model::UNetOptions mo;
  train::TrainConfig tc;
  infer::InferConfig ic;
};

TrainSettings readSettings(const std::string& config, std::vector<std::string> channels, ProblemList& problems) {
  TrainSettings t;
  if (!config.empty()) {
    auto doc = experiment::loadToml(config);
    experiment::Section data(table(doc, "data"), config, "data", &problems);
    channels = data.strings("channels", channels);
    experiment::Section pre(table(doc, "preprocess"), config, "preprocess", &problems);
    t.pc = experiment::readPreprocess(pre, channels);
    pre.finish();
    experiment::Section ms(table(doc, "model"), config, "model", &problems);
    t.mo = experiment::readModel(ms, static_cast<int>(channels.size()));
    ms.finish();
    experiment::Section ts(table(doc, "train"), config, "train", &problems);
    t.tc = experiment::readTrain(ts, t.tc);
    ts.finish();
    experiment::Section is(table(doc, "infer"), config, "infer", &problems);
    t.ic = experiment::readInfer(is, t.ic);
    is.finish();
  }
  t.channels = channels;
  t.pc.channels = channels;
  t.mo.inChannels = static_cast<int>(channels.size());
  return t;
}

// Training and validation studies: the given validation ids, else a share of the subjects
// (split by subject, as the experiment planner does: one subject's sessions never land on both sides).
void splitStudies(const io::Manifest& m, const std::string& valIds, double valFraction, uint64_t seed, train::TrainJob& job) {
  if (!valIds.empty()) {
    job.valIds = splitComma(valIds);
    for (const auto& r : m.rows)
      if (std::find(job.valIds.begin(), job.valIds.end(), r.id()) == job.valIds.end()) job.trainIds.push_back(r.id());
    return;
  }
  std::map<std::string, std::vector<std::string>> bySubject;
  for (const auto& r : m.rows) bySubject[r.subject].push_back(r.id());
  std::vector<std::string> subjects;
  for (const auto& [s, v] : bySubject) subjects.push_back(s);
  Rng rng(seed ^ 0xabcdefULL);
  std::shuffle(subjects.begin(), subjects.end(), rng.engine());
  const size_t nVal = subjects.size() > 1 ? static_cast<size_t>(std::lround(valFraction * subjects.size())) : 0;
  for (size_t i = 0; i < subjects.size(); ++i)
    for (const auto& id : bySubject[subjects[i]]) (i < nVal ? job.valIds : job.trainIds).push_back(id);
}

void printResult(const train::TrainResult& r, const train::TrainConfig& tc, const std::string& out) {
  if (!r.loadReport.empty()) std::cout << "initialised from " << tc.sourceCheckpoint.string() << ":\n" << r.loadReport;
  if (!r.frozen.empty()) std::cout << "frozen parameters: " << r.frozen.size() << "\n";
  if (r.alreadyDone) std::cout << out << ": already trained (" << r.iterations << " iterations)\n";
  std::cout << "best: " << r.best.string() << " (iteration " << r.bestIteration << ", validation " << tc.valMetric
            << " " << (r.bestValF1 >= 0 ? std::to_string(r.bestValF1) : std::string("n/a")) << "); stopped: " << r.stopReason
            << " after " << r.iterations << " iterations\n";
}

}  // namespace

int runTrain(const Args& args) {
  po::options_description opts("Options");
  std::string manifest, cacheFile, out, config, init, source, freeze, device, valIds;
  int threads = 1;
  int64_t iterations = 0;
  double valFraction = 0.2, lr = 0;
  uint64_t seed = 1;
  opts.add_options()("manifest", po::value(&manifest)->required(), "manifest of the training studies (labels required)")(
      "cache", po::value(&cacheFile), "HDF5 cache (default: OUT/cache.h5); built or updated first")(
      "out", po::value(&out)->required(), "output folder: checkpoints, train_log.jsonl")(
      "config", po::value(&config), "experiment TOML: [data] channels, [preprocess], [model], [train], [infer]")(
      "val-fraction", po::value(&valFraction)->default_value(0.2, "0.2"), "held-out share of the studies for validation")(
      "val-ids", po::value(&valIds), "comma-separated validation study ids (overrides --val-fraction)")(
      "iterations", po::value(&iterations), "override [train] iterations")(
      "lr", po::value(&lr), "override [train] lr")(
      "init", po::value(&init), "scratch or source (override [train] init)")(
      "source", po::value(&source), "source checkpoint for --init source")(
      "freeze", po::value(&freeze), "comma-separated parts to freeze: encoder, decoder, head, all_but_head, or a prefix")(
      "seed", po::value(&seed)->default_value(1), "seed (split, sampler, initialisation)")(
      "device", po::value(&device)->default_value("cpu"), "cpu or cuda")(
      "threads", po::value(&threads)->default_value(defaultThreads()), "intra-op threads (LibTorch, ITK)");
  po::variables_map vm;
  if (!parseArgs("train", "--manifest M --out DIR [--config EXP.toml] [options]",
                 "Trains a 3D U-Net on the studies of a manifest (preprocessed into the HDF5 cache first).\n"
                 "Resumes an interrupted run in the same folder; a finished run is not repeated.",
                 opts, args, vm))
    return 0;
  {
    ProblemList p;
    if (!(valFraction >= 0 && valFraction < 1))
      p.add("train: --val-fraction: expected a share in [0, 1), got " + log::cat(valFraction));
    if (threads < 1) p.add("train: --threads: expected >= 1, got " + std::to_string(threads));
    p.throwIfAny();
  }
  train::setThreads(threads);
  io::Manifest m = io::readManifest(manifest);
  ProblemList problems;
  TrainSettings set = readSettings(config, m.channels, problems);
  auto& [channels, pc, mo, tc, ic] = set;
  if (vm.count("iterations")) tc.iterations = iterations;
  if (vm.count("lr")) tc.lr = lr;
  if (vm.count("init")) tc.init = init;
  if (vm.count("source")) tc.sourceCheckpoint = source;
  if (vm.count("freeze")) tc.freeze = splitComma(freeze);
  tc.seed = seed;
  tc.device = device;
  // Checked before any work: a missing source would otherwise fail only after preprocessing.
  if (tc.init == "source" && !std::filesystem::is_regular_file(tc.sourceCheckpoint))
    problems.add("train: --source: '" + tc.sourceCheckpoint.string() + "': " +
                 (tc.sourceCheckpoint.empty() ? std::string("not given, expected the source checkpoint for --init source")
                                              : std::string("no such file, expected the source checkpoint (.pt)")));
  problems.throwIfAny();
  pc.validate("preprocess: ");
  mo.validate("model: ");
  tc.validate("train: ");
  ic.validate("infer: ");
  m.requireChannels(channels);
  if (!m.hasLabel) throw InputError(manifest + ": training needs a 'label' column");
  if (cacheFile.empty()) cacheFile = (std::filesystem::path(out) / "cache.h5").string();
  cache::BuildOptions bo;
  bo.threads = threads;
  cache::buildCache(m, pc, cacheFile, bo);

  train::TrainJob job;
  job.cache = cacheFile;
  job.model = mo;
  job.preprocess = pc;
  job.train = tc;
  job.validation = ic;
  job.outDir = out;
  splitStudies(m, valIds, valFraction, seed, job);
  printResult(train::train(job), tc, out);
  return 0;
}

int runPredict(const Args& args) {
  po::options_description opts("Options");
  std::string modelPath, manifest, input, out, cacheFile, device;
  int threads = 1;
  infer::InferConfig ic;
  std::vector<int64_t> window;
  opts.add_options()("model", po::value(&modelPath)->required(), "checkpoint (.pt with its .pt.json)")(
      "manifest", po::value(&manifest), "studies to predict (a manifest CSV)")(
      "input", po::value(&input), "or a folder of CASE_0000.nii.gz, CASE_0001.nii.gz, ... (nnU-Net naming: one file per "
                                  "channel, in the checkpoint's channel order)")(
      "out", po::value(&out)->required(), "output folder for <id>_prob.nii.gz and <id>_mask.nii.gz")(
      "cache", po::value(&cacheFile), "HDF5 cache for the preprocessed studies (default: OUT/cache.h5)")(
      "overlap", po::value(&ic.overlap)->default_value(0.5, "0.5"), "sliding-window overlap")(
      "no-gaussian", "uniform instead of Gaussian window weighting")(
      "mirror", po::bool_switch(&ic.mirror), "mirroring test-time augmentation (8 flips)")(
      "window-batch", po::value(&ic.windowBatch)->default_value(2), "windows per forward pass")(
      "window", po::value(&window)->multitoken(),
      "window size: X Y Z voxels, or one size for all axes (default: the model's training patch; a window as "
      "large as the volume predicts it in one pass)")(
      "threshold", po::value(&ic.threshold)->default_value(0.5, "0.5"), "probability threshold of the mask")(
      "min-component-voxels", po::value(&ic.minComponentVoxels)->default_value(0),
      "remove mask components smaller than this")(
      "keep-input-spacing", "predict at each input's own spacing instead of resampling to the spacing the model "
                             "was trained at (recorded in its checkpoint) and back")(
      "device", po::value(&device)->default_value("cpu"), "cpu or cuda")(
      "threads", po::value(&threads)->default_value(defaultThreads()), "intra-op threads");
  po::variables_map vm;
  if (!parseArgs("predict", "--model CKPT (--manifest M | --input DIR) --out DIR [options]",
                 "Sliding-window prediction; writes probability maps and binary masks on each study's original grid.",
                 opts, args, vm))
    return 0;
  ic.gaussian = !vm.count("no-gaussian");
  if (!window.empty()) {
    if (window.size() != 1 && window.size() != 3)
      throw InputError("predict: --window: expected 1 or 3 sizes, got " + std::to_string(window.size()));
    for (size_t a = 0; a < 3; ++a) ic.window[a] = window[window.size() == 1 ? 0 : a];
  }
  validateAsOptions([&] { ic.validate("--"); });
  if (threads < 1) throw InputError("predict: --threads: expected >= 1, got " + std::to_string(threads));
  if (manifest.empty() == input.empty())
    throw InputError("predict: expected exactly one of --manifest (a CSV) and --input (a folder of CASE_0000.nii.gz), got " +
                     std::string(manifest.empty() ? "neither" : "both"));
  train::setThreads(threads);
  io::Manifest m = manifest.empty() ? io::scanImageFolder(input, infer::readModelMeta(modelPath).preprocess.channels)
                                    : io::readManifest(manifest);
  infer::PredictOptions po_;
  po_.infer = ic;
  po_.device = device;
  po_.threads = threads;
  po_.keepInputSpacing = vm.count("keep-input-spacing") > 0;
  if (cacheFile.empty()) cacheFile = (std::filesystem::path(out) / "cache.h5").string();
  auto r = infer::predictManifest(modelPath, m, cacheFile, out, po_);
  std::cout << out << ": " << log::studies(r.studies) << " predicted (" << r.seconds << " s)\n";
  return 0;
}

}  // namespace mst::cli
