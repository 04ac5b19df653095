#include "lib/experiment/Sections.h"

namespace mst::experiment {

preprocess::PreprocessConfig readPreprocess(Section& s, const std::vector<std::string>& channels) {
  preprocess::PreprocessConfig c;
  c.channels = channels;
  c.targetSpacingMm = s.vec3("target_spacing", c.targetSpacingMm);
  c.interpolation = s.choice("interpolation", c.interpolation, {"linear", "bspline"});
  c.reorient = s.boolean("reorient", c.reorient);
  c.crop = s.boolean("crop", c.crop);
  c.cropMarginVoxels = static_cast<int>(s.integer("crop_margin", c.cropMarginVoxels));
  c.normalization = s.choice("normalization", c.normalization, {"zscore", "none"});
  auto clip = s.numbers("clip_percentiles", {c.clipLow, c.clipHigh});
  if (clip.size() == 2) {
    c.clipLow = clip[0];
    c.clipHigh = clip[1];
  } else {
    s.problem("clip_percentiles", "expected [low, high]");
  }
  c.n4 = s.boolean("n4", c.n4);
  c.storage = s.choice("storage", c.storage, {"float32", "float16"});
  c.chunk = s.size3("chunk", c.chunk);
  return c;
}

model::UNetOptions readModel(Section& s, int inChannels) {
  model::UNetOptions m;
  m.inChannels = inChannels;
  m.baseFilters = static_cast<int>(s.integer("base_filters", m.baseFilters));
  m.maxFilters = static_cast<int>(s.integer("max_filters", m.maxFilters));
  m.depth = static_cast<int>(s.integer("depth", m.depth));
  m.norm = s.choice("norm", m.norm, {"instance", "batch", "group"});
  m.dropout = s.number("dropout", m.dropout);
  m.upsampling = s.choice("upsampling", m.upsampling, {"transposed", "trilinear"});
  m.deepSupervision = s.boolean("deep_supervision", m.deepSupervision);
  return m;
}

train::TrainConfig readTrain(Section& s, const train::TrainConfig& base) {
  train::TrainConfig t = base;
  t.iterations = s.integer("iterations", t.iterations);
  t.batchSize = static_cast<int>(s.integer("batch_size", t.batchSize));
  t.patch = s.size3("patch", t.patch);
  t.optimizer = s.choice("optimizer", t.optimizer, {"adam", "sgd"});
  t.lr = s.number("lr", t.lr);
  t.momentum = s.number("momentum", t.momentum);
  t.weightDecay = s.number("weight_decay", t.weightDecay);
  t.schedule = s.choice("schedule", t.schedule, {"poly", "cosine", "constant"});
  t.warmup = s.integer("warmup", t.warmup);
  t.diceWeight = s.number("dice_weight", t.diceWeight);
  t.bceWeight = s.number("bce_weight", t.bceWeight);
  t.lesionFraction = s.number("lesion_fraction", t.lesionFraction);
  t.valEvery = s.integer("val_every", t.valEvery);
  t.checkpointEvery = s.integer("checkpoint_every", t.checkpointEvery);
  t.logEvery = s.integer("log_every", t.logEvery);
  t.samplerThreads = static_cast<int>(s.integer("sampler_threads", t.samplerThreads));
  t.firstConv = s.choice("first_conv", t.firstConv, {"replicate", "average", "zero"});
  t.reinitHead = s.boolean("reinit_head", t.reinitHead);
  t.freeze = s.strings("freeze", t.freeze);
  if (s.has("lr_multipliers")) t.lrMultipliers = s.numberMap("lr_multipliers");
  Section a = s.sub("augment");
  auto& g = t.augment;
  g.enabled = a.boolean("enabled", g.enabled);
  g.flipProb = a.number("flip_prob", g.flipProb);
  g.rotateProb = a.number("rotate_prob", g.rotateProb);
  g.maxRotateDeg = a.number("max_rotate_deg", g.maxRotateDeg);
  g.scaleProb = a.number("scale_prob", g.scaleProb);
  auto sr = a.numbers("scale_range", {g.scaleMin, g.scaleMax});
  if (sr.size() == 2) g.scaleMin = sr[0], g.scaleMax = sr[1];
  g.intensityProb = a.number("intensity_prob", g.intensityProb);
  g.gammaProb = a.number("gamma_prob", g.gammaProb);
  auto gr = a.numbers("gamma_range", {g.gammaMin, g.gammaMax});
  if (gr.size() == 2) g.gammaMin = gr[0], g.gammaMax = gr[1];
  g.noiseProb = a.number("noise_prob", g.noiseProb);
  g.noiseMaxSigma = a.number("noise_max_sigma", g.noiseMaxSigma);
  a.finish();
  return t;
}

infer::InferConfig readInfer(Section& s, const infer::InferConfig& base) {
  infer::InferConfig c = base;
  c.overlap = s.number("overlap", c.overlap);
  c.gaussian = s.boolean("gaussian", c.gaussian);
  c.mirror = s.boolean("mirror", c.mirror);
  auto axes = s.integers("mirror_axes", {0, 1, 2});
  c.mirrorAxes.assign(axes.begin(), axes.end());
  c.windowBatch = static_cast<int>(s.integer("window_batch", c.windowBatch));
  c.threshold = s.number("threshold", c.threshold);
  c.minComponentVoxels = s.integer("min_component_voxels", c.minComponentVoxels);
  return c;
}

metrics::LesionOptions readEval(Section& s) {
  metrics::LesionOptions o;
  o.connectivity = static_cast<int>(s.integer("connectivity", o.connectivity));
  const std::string crit = s.string("criterion", "any");
  try {
    o.setCriterion(crit, s.where("criterion").substr(0, s.where("criterion").size() - 2));
  } catch (const InputError& e) {
    s.problem("criterion", "expected one of any, anima, iou:T, got '" + crit + "'");
  }
  o.alpha = s.number("alpha", o.alpha);
  o.beta = s.number("beta", o.beta);
  o.gamma = s.number("gamma", o.gamma);
  o.minSizeMm3 = s.number("min_size_mm3", o.minSizeMm3);
  o.minSizeVoxels = s.integer("min_size_voxels", o.minSizeVoxels);
  return o;
}

}  // namespace mst::experiment
