#include "lib/config/TrainConfig.h"

#include "lib/core/CpuFeatures.h"
#include "lib/core/Error.h"
#include "lib/core/Log.h"

namespace mst::train {

void TrainConfig::validate(const std::string& where) const {
  ProblemList p;
  for (auto& c : config::checkChoices(*this, where)) p.add(c);
  if (iterations < 1) p.add(where + "iterations: expected >= 1, got " + std::to_string(iterations));
  if (batchSize < 1) p.add(where + "batch_size: expected >= 1, got " + std::to_string(batchSize));
  if (precision == "fp16" && device != "cuda")
    p.add(where + "precision: fp16 needs device cuda (CPU autocast runs bf16 only), got device " + device +
          ": use bf16 or fp32");
  if (!(lr > 0 && lr < 10)) p.add(where + "lr: expected 0 < lr < 10, got " + log::cat(lr));
  if (warmup < 0 || warmup >= iterations) p.add(where + "warmup: expected 0 <= warmup < iterations");
  if (diceWeight < 0 || bceWeight < 0 || diceWeight + bceWeight <= 0)
    p.add(where + "loss weights: expected non-negative dice_weight and bce_weight, not both 0");
  if (init == "source" && sourceCheckpoint.empty()) p.add(where + "init = 'source' needs a source checkpoint");
  if (valEvery < 0 || checkpointEvery < 1 || logEvery < 1) p.add(where + "val_every >= 0, checkpoint_every >= 1, log_every >= 1");
  if (!(lrFactor > 0 && lrFactor < 1)) p.add(where + "lr_factor: expected 0 < lr_factor < 1, got " + log::cat(lrFactor));
  if (lrPatience < 1) p.add(where + "lr_patience: expected >= 1, got " + std::to_string(lrPatience));
  if (schedule == "plateau" && valEvery < 1) p.add(where + "schedule = 'plateau' needs val_every >= 1");
  if (!(valOverlap == -1 || (valOverlap >= 0 && valOverlap < 1)))
    p.add(where + "val_overlap: expected -1 (as [infer]) or 0 <= val_overlap < 1, got " + log::cat(valOverlap));
  if (!(emaDecay >= 0 && emaDecay < 1)) p.add(where + "ema_decay: expected 0 (off) <= ema_decay < 1, got " + log::cat(emaDecay));
  if (patience < 1) p.add(where + "patience: expected >= 1, got " + std::to_string(patience));
  if (!(minDelta >= 0 && minDelta < 1)) p.add(where + "min_delta: expected 0 <= min_delta < 1, got " + log::cat(minDelta));
  if (minIterations < 0 || minIterations >= iterations)
    p.add(where + "min_iterations: expected 0 <= min_iterations < iterations (" + std::to_string(iterations) + "), got " +
          std::to_string(minIterations));
  if (earlyStop && valEvery < 1) p.add(where + "early_stop = true needs val_every >= 1 (evaluations to stop on)");
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

std::string TrainConfig::resolvedPrecision() const {
  if (precision != "auto") return precision;
  return device == "cuda" || cpuFeatures().bf16() ? "bf16" : "fp32";
}

}  // namespace mst::train
