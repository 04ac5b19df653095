#include "lib/eval/Evaluation.h"

#include "lib/core/Log.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>

#include "lib/core/Csv.h"
#include "lib/core/Error.h"
#include "lib/core/Fs.h"
#include "lib/core/Progress.h"
#include "lib/io/Nifti.h"
#include "lib/metrics/Components.h"

namespace mst::eval {

std::string maskFileName(const std::string& id) { return id + "_mask.nii.gz"; }
std::string probFileName(const std::string& id) { return id + "_prob.nii.gz"; }

std::vector<PredictionPair> findPredictions(const io::Manifest& m, const std::filesystem::path& dir) {
  ProblemList p;
  if (!m.hasLabel) p.add(m.file.string() + ":1: no 'label' column: nothing to evaluate against");
  if (!std::filesystem::is_directory(dir)) p.add("'" + dir.string() + "': prediction folder not found");
  p.throwIfAny();
  std::vector<PredictionPair> out;
  for (const auto& r : m.rows) {
    PredictionPair pp{r.subject, r.session, dir / maskFileName(r.id()), r.label};
    if (!std::filesystem::exists(pp.pred)) {
      auto alt = dir / (r.id() + ".nii.gz");
      if (std::filesystem::exists(alt)) pp.pred = alt;
      else p.add(m.file.string() + ":" + std::to_string(r.line) + ": no prediction for study '" + r.id() + "': expected '" +
                 pp.pred.string() + "'");
    }
    out.push_back(pp);
  }
  p.throwIfAny();
  return out;
}

MaskVolume readPrediction(const std::filesystem::path& path, std::optional<double> threshold) {
  if (threshold && !(*threshold > 0 && *threshold < 1))
    throw InputError("--threshold: expected a probability in (0, 1), got " + log::cat(*threshold));
  const FloatVolume v = io::readImage(path);
  MaskVolume m;
  m.geom = v.geom;
  m.data.resize(v.data.size());
  for (size_t i = 0; i < v.data.size(); ++i) {
    const float x = v.data[i];
    if (threshold) {
      m.data[i] = x >= *threshold ? 1 : 0;
    } else if (x == 0.0f || x == 1.0f) {
      m.data[i] = static_cast<uint8_t>(x);
    } else {
      throw InputError("'" + path.string() + "': prediction is not a binary mask (found the value " + log::cat(x) +
                       "); for a probability map give --threshold (e.g. 0.5)");
    }
  }
  return m;
}

StudyMasks readPair(const PredictionPair& pp, std::optional<double> threshold) {
  StudyMasks m{readPrediction(pp.pred, threshold), io::readMask(pp.truth)};
  if (!m.pred.geom.sameGrid(m.truth.geom))
    throw InputError("'" + pp.pred.string() + "': grid " + m.pred.geom.describe() + " differs from the label '" +
                     pp.truth.string() + "' grid " + m.truth.geom.describe());
  return m;
}

std::vector<StudyResult> evaluateSet(const std::vector<PredictionPair>& pairs, const metrics::LesionOptions& o,
                                     bool progress, std::optional<double> threshold) {
  std::unique_ptr<Progress> bar;
  if (progress && pairs.size() > 3) bar = std::make_unique<Progress>("evaluate", pairs.size());
  std::vector<StudyResult> out;
  for (const auto& pp : pairs) {
    const StudyMasks m = readPair(pp, threshold);
    out.push_back({pp.subject, pp.session, metrics::evaluate(m.pred, m.truth, o)});
    if (bar) bar->update(static_cast<int64_t>(out.size()));
  }
  if (bar) bar->finish();
  return out;
}

void writePerStudyCsv(const std::filesystem::path& out, const std::vector<StudyResult>& rows, bool withSession) {
  std::vector<std::string> header = {"subject"};
  if (withSession) header.push_back("session");
  for (const auto& c : metrics::metricColumns()) header.push_back(c);
  std::string text = csvLine(header);
  for (const auto& r : rows) {
    std::vector<std::string> cells = {r.subject};
    if (withSession) cells.push_back(r.session);
    for (const auto& c : metrics::metricCells(r.m)) cells.push_back(c);
    text += csvLine(cells);
  }
  writeTextAtomic(out, text);
}

}  // namespace mst::eval
