// report.md's design section: what was run and every choice the study leaves open, read from the
// resolved experiment.json (so the section says what ran, not what a file may say today).
#include <sstream>

#include "lib/report/ReportParts.h"

namespace mst::report {

namespace {

using nlohmann::json;

std::string str(const json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_null()) return "none";
  if (j.is_boolean()) return j.get<bool>() ? "yes" : "no";
  if (j.is_number_float()) {
    char b[32];
    std::snprintf(b, sizeof b, "%g", j.get<double>());
    return b;
  }
  if (j.is_array()) {
    std::string s = "[";
    for (size_t i = 0; i < j.size(); ++i) s += (i ? ", " : "") + str(j[i]);
    return s + "]";
  }
  return j.dump();
}

std::string at(const json& j, const char* key) { return j.is_object() && j.contains(key) ? str(j[key]) : "n/a"; }

// j[key], or an empty object when j has no such key (a hand-written or older experiment.json).
const json& sub(const json& j, const char* key) {
  static const json kEmpty = json::object();
  return j.is_object() && j.contains(key) ? j[key] : kEmpty;
}

// Keys of `arm` whose value differs from `base` (nested objects flattened with '.').
void diff(const json& base, const json& arm, const std::string& prefix, std::vector<std::string>& out) {
  for (auto it = arm.begin(); it != arm.end(); ++it) {
    const std::string k = prefix + it.key();
    if (k == "init" || k == "source_checkpoint" || k == "device") continue;
    const json b = base.contains(it.key()) ? base[it.key()] : json();
    if (it->is_object() && b.is_object()) diff(b, *it, k + ".", out);
    else if (*it != b) out.push_back(k + " = " + str(*it));
  }
}

std::string trainingRule(const json& t) {
  if (!t.value("early_stop", false))
    return "a fixed " + at(t, "iterations") + " iterations (no early stopping: convergence not checked)";
  return "early stopping on the fixed validation set: " + at(t, "val_metric") + " every " + at(t, "val_every") +
         " iterations, stop after " + at(t, "patience") + " evaluations without a gain above " + at(t, "min_delta") +
         " (not before iteration " + at(t, "min_iterations") + "), cap " + at(t, "iterations") +
         " iterations; the best checkpoint is tested";
}

}  // namespace

std::string designMarkdown(const json& ex) {
  std::ostringstream md;
  const json& t = sub(ex, "train");
  const json& m = sub(ex, "model");
  const json& p = sub(ex, "preprocess");
  const json& inf = sub(ex, "infer");
  const json& ev = sub(ex, "eval");
  const json& st = sub(ex, "stats");
  md << "## Design\n\n";
  md << "- Data: " << at(ex, "data") << " (channels " << at(ex, "channels") << ").\n";
  const json& test = sub(ex, "test");
  md << "- Test set: " << (test.contains("subjects") && !test["subjects"].empty() ? std::to_string(test["subjects"].size()) + " listed studies"
                                                                                 : at(test, "count") + " studies drawn with seed " + at(test, "seed"))
     << ", fixed and shared by every arm and training size.\n";
  const json& val = sub(ex, "validation");
  if (val.value("count", 0) > 0)
    md << "- Validation set (early stopping, minimum lesion size): " << at(val, "count")
       << " studies (seed " << at(val, "seed") << "), disjoint from the test set and the training pools.\n";
  const json& sw = sub(ex, "sweep");
  md << "- Training sizes " << at(sw, "train_sizes") << ", " << at(sw, "repeats") << " repeat(s) with seed " << at(sw, "seed")
     << " (" << at(sw, "nested") << ").\n";
  md << "- Arms:\n";
  for (const auto& a : sub(ex, "arms")) {
    std::vector<std::string> d;
    diff(t, sub(a, "train"), "", d);
    std::string settings;
    for (const auto& s : d) settings += (settings.empty() ? "" : "; ") + s;
    const std::string init = a.value("init", "scratch") == "source" ? "initialised from source model '" + a.value("source", "") + "'"
                                                                    : "random initialisation";
    md << "  - " << a.value("name", "") << ": " << init
       << (a.value("compare_to", "") != a.value("name", "") && !a.value("compare_to", "").empty()
               ? ", compared with " + a.value("compare_to", "")
               : ", the reference arm")
       << (settings.empty() ? "" : "; differs from [train] in " + settings) << ".\n";
  }
  const json& sources = sub(ex, "sources");
  for (auto it = sources.begin(); it != sources.end(); ++it) {
      const json& s = *it;
      md << "- Source model '" << it.key() << "': ";
      if (s.contains("checkpoint") && !s["checkpoint"].is_null()) md << "the checkpoint " << str(s["checkpoint"]) << ".\n";
      else
        md << "pretrained here on " << at(s, "data") << " (" << at(s, "train_studies") << " training, "
           << at(s, "val_studies") << " validation, " << at(s, "test_studies") << " held-out studies); "
           << (s.contains("train") ? trainingRule(s["train"]) : std::string("")) << ".\n";
    }
  md << "\n### Choices the study leaves open, as set here\n\n| choice | setting |\n|---|---|\n";
  const json& aug = sub(t, "augment");
  md << "| network depth and width | 3D U-Net, depth " << at(m, "depth") << ", " << at(m, "base_filters")
     << " base filters (at most " << at(m, "max_filters") << "), " << at(m, "norm") << " norm, " << at(m, "upsampling")
     << " upsampling, dropout " << at(m, "dropout") << " |\n";
  md << "| patch size | " << at(t, "patch") << " voxels, batch " << at(t, "batch_size") << ", lesion-centred fraction "
     << at(t, "lesion_fraction") << " |\n";
  md << "| normalisation | " << at(p, "normalization") << " within the brain after clipping at percentiles "
     << at(p, "clip_percentiles") << "; spacing " << at(p, "target_spacing") << " mm (0: the input's) |\n";
  md << "| loss | Dice (weight " << at(t, "dice_weight") << ") + binary cross-entropy (weight " << at(t, "bce_weight")
     << ") |\n";
  md << "| optimiser and learning rate | " << at(t, "optimizer") << ", lr " << at(t, "lr") << ", weight decay "
     << at(t, "weight_decay") << ", schedule " << at(t, "schedule") << ", weight averaging (EMA) " << at(t, "ema_decay")
     << ", precision " << at(t, "precision") << " |\n";
  md << "| iterations | " << trainingRule(t) << " |\n";
  md << "| augmentation | "
     << (aug.value("enabled", false)
             ? "flips p " + at(aug, "flip_prob") + ", rotation ±" + at(aug, "max_rotate_deg") + "° p " + at(aug, "rotate_prob") +
                   ", scaling " + at(aug, "scale_range") + " p " + at(aug, "scale_prob") + ", gamma " + at(aug, "gamma_range") +
                   " p " + at(aug, "gamma_prob") + ", noise σ ≤ " + at(aug, "noise_max_sigma") + " p " + at(aug, "noise_prob")
             : std::string("none"))
     << " |\n";
  md << "| layers fine-tuned and their rates | every layer unless an arm freezes some (freeze " << at(t, "freeze")
     << ", lr multipliers " << at(t, "lr_multipliers") << ", new head " << at(t, "reinit_head") << "; arms above) |\n";
  md << "| inference threshold | " << at(inf, "threshold") << " on the sigmoid; sliding window overlap " << at(inf, "overlap")
     << ", Gaussian weighting " << at(inf, "gaussian") << ", mirroring " << at(inf, "mirror") << " |\n";
  const std::string minComp = inf.contains("min_component_choices") && !inf["min_component_choices"].empty()
                                  ? "components below " + at(inf, "min_component_choices") + " voxels, the choice made on validation"
                                  : "components below " + at(inf, "min_component_voxels") + " voxels";
  md << "| minimum lesion size | prediction: " << minComp << "; scoring: " << at(ev, "min_size_mm3") << " mm³ ("
     << (ev.value("min_size_strict", false) ? "strictly larger kept" : "at least that volume kept") << "), "
     << at(ev, "min_size_voxels") << " voxels, truth and prediction alike |\n";
  md << "| connectivity of a lesion | " << at(ev, "connectivity") << " |\n";
  std::string crit = at(ev, "criterion");
  if (crit == "anima") crit += " (α " + at(ev, "alpha") + ", β " + at(ev, "beta") + ", γ " + at(ev, "gamma") + ")";
  if (crit == "any") crit += " (a lesion is found when any of its voxels is predicted)";
  md << "| detection rule | " << crit << "; protocol " << at(ev, "protocol") << " |\n";
  md << "| studies without true lesions | sensitivity undefined there (left out of means and pairs); PPV undefined "
        "without predicted lesions; their false positives still counted (docs/METRICS.md) |\n";
  md << "| paired test | " << (at(st, "test") == "t" ? "paired t-test" : "Wilcoxon signed-rank (SciPy defaults)")
     << " in the tables, both in comparisons.csv; Holm over the experiment's comparisons per metric; "
     << "bootstrap CI of the mean difference (" << at(st, "bootstrap") << " resamples, level " << at(st, "ci_level") << ") |\n\n";
  return md.str();
}

}  // namespace mst::report
