#include <algorithm>
#include <atomic>
#include <nlohmann/json.hpp>
#include <cmath>
#include <fstream>
#include <mutex>
#include <thread>

#include "lib/core/Csv.h"
#include "lib/core/Error.h"
#include "lib/core/Fs.h"
#include "lib/core/Hash.h"
#include "lib/core/Log.h"
#include "lib/core/Parallel.h"
#include "lib/core/Progress.h"
#include "lib/core/Version.h"
#include "lib/io/Manifest.h"
#include "lib/io/Nifti.h"
#include "lib/io/Transform.h"
#include "lib/synth/Synth.h"

namespace mst::synth {

const std::vector<CohortInfo>& cohortInfo() {
  static const std::vector<CohortInfo> kInfo = {
      {"ms_flair", "MSF", {"flair"},
       "MS lesions on FLAIR: 0-60 per study, mostly small ovoid (3-15 mm), periventricular (perpendicular to the "
       "ventricles), deep white matter, juxtacortical and infratentorial; lesion load varies widely"},
      {"ms_longitudinal", "MSL", {"flair_prior", "flair"},
       "two FLAIR visits; the later adds 0-6 new lesions (a quarter of studies none), some lesions grow or shrink; "
       "small rigid misalignment, intensity drift and fresh noise between visits; label = new lesions only"},
      {"ms_enhancement", "MSE", {"t1", "t1post"},
       "MS lesions on pre/post-contrast T1, 0-5 of them enhancing (nodular or ring); vessels, choroid plexus, dura "
       "and falx enhance as distractors; label = enhancing lesions"},
      {"source_flair", "SRF", {"flair"},
       "other pathologies' FLAIR hyperintensities: tumour with oedema, cortical-subcortical infarcts, confluent "
       "small-vessel disease (1-3 per study); label = all FLAIR abnormality"},
      {"source_enhancement", "SRE", {"t1", "t1post"},
       "brain metastases on pre/post-contrast T1: 1-8 per study, 4-30 mm, solid or ring with necrotic core, "
       "surrounding oedema; vessel/choroid/dura distractors; label = metastases"},
  };
  return kInfo;
}

const CohortInfo& cohort(const std::string& name) {
  for (const auto& c : cohortInfo())
    if (c.name == name) return c;
  std::string names;
  for (const auto& c : cohortInfo()) names += (names.empty() ? "" : ", ") + c.name;
  throw InputError("--cohort: unknown cohort '" + name + "', expected one of: " + names);
}

const Ranges& ranges() {
  static const Ranges kRanges;
  return kRanges;
}

void CohortOptions::validate() const {
  ProblemList p;
  try {
    synth::cohort(cohort);
  } catch (const InputError& e) {
    p.add(e.what());
  }
  if (count < 1) p.add("--count: expected at least 1, got " + std::to_string(count));
  for (int a = 0; a < 3; ++a)
    if (shape[a] < 16 || shape[a] > 512) p.add("--shape: each side must be 16..512 voxels, got " + std::to_string(shape[a]));
  if (!(spacingMm >= 0.3 && spacingMm <= 6)) p.add("--spacing: expected 0.3..6 mm, got " + std::to_string(spacingMm));
  if (longitudinalMode != "transform" && longitudinalMode != "register")
    p.add("--longitudinal-mode: expected 'transform' or 'register', got '" + longitudinalMode + "'");
  p.throwIfAny();
}

const Preset& preset(const std::string& name) {
  // Demo: 2 mm, 160 x 192 x 160 mm field of view. Paper: the same field at 1 mm.
  static const Preset kDemo{"demo", {80, 96, 80}, 2.0,
                            {{"ms_flair", 40}, {"ms_longitudinal", 40}, {"ms_enhancement", 40},
                             {"source_flair", 30}, {"source_enhancement", 30}}};
  static const Preset kPaper{"paper", {160, 192, 160}, 1.0,
                             {{"ms_flair", 100}, {"ms_longitudinal", 100}, {"ms_enhancement", 100},
                              {"source_flair", 200}, {"source_enhancement", 200}}};
  if (name == "demo") return kDemo;
  if (name == "paper") return kPaper;
  throw InputError("--preset: unknown preset '" + name + "', expected 'demo' or 'paper'");
}

namespace {

Vec3 addv(const Vec3& a, const Vec3& b) { return {a[0] + b[0], a[1] + b[1], a[2] + b[2]}; }
Vec3 scalev(const Vec3& a, double s) { return {a[0] * s, a[1] * s, a[2] * s}; }

// Radii for a volume-equivalent diameter d and shape ratios (a, b, c).
Vec3 radiiFor(double d, double a, double b, double c) {
  const double r = 0.5 * d / std::cbrt(a * b * c);
  return {r * a, r * b, r * c};
}

Blob msLesion(const Subject& s, Rng& rng, double diameter, const std::string& where) {
  Blob b;
  b.noiseSeed = rng.next();
  b.irregularity = rng.uniform(0.1, 0.3);
  b.flair = rng.uniform(1.3, 1.75);  // peak; with the fainter rim, lesion / WM medians about 1.4 (real 1.37)
  b.t1 = rng.chance(0.3) ? rng.uniform(0.45, 0.65) : rng.uniform(0.7, 0.95);  // some T1 black holes
  b.rim = rng.uniform(0.5, 0.8);             // fainter edge (research/synth_realism.py)
  b.heterogeneity = rng.uniform(0.25, 0.5);   // and uneven inside
  b.kind = where;
  if (where == "periventricular") {
    Vec3 n;
    Vec3 p = s.ventricleSurfacePoint(rng, &n);
    b.axes = axesAlong(n, rng);
    if (rng.chance(0.5)) {
      b.radii = radiiFor(diameter, 1.6, 0.8, 0.8);  // Dawson's fingers: long axis perpendicular to the wall
      b.center = addv(p, scalev(n, b.radii[0] * 0.7));
    } else {
      b.radii = radiiFor(diameter, 0.6, 1.6, 1.0);  // flat against the wall, long along it (caps, bands)
      b.center = addv(p, scalev(n, b.radii[0] * 0.4));
    }
  } else {
    b.radii = radiiFor(diameter, 1.25, 0.9, 0.9);
    b.axes = axesAlong(rng.unitVector(), rng);
    if (where == "juxtacortical") b.center = s.juxtacorticalPoint(rng, 0.5 * diameter * 0.9);
    else b.center = s.randomPointIn(rng, where == "infratentorial");
  }
  return b;
}

std::string msLocation(Rng& rng) {
  const double u = rng.uniform(0, 1);
  if (u < 0.45) return "periventricular";
  if (u < 0.70) return "deep_white_matter";
  if (u < 0.90) return "juxtacortical";
  return "infratentorial";
}

double msDiameter(Rng& rng, double maxD = 15.0) {
  const Ranges& r = ranges();
  // Skewed to small lesions: median about 4.3 mm (~40 mm^3); real consensus masks: median 24 mm^3.
  return std::min(maxD, r.msDiameterMin + (r.msDiameterMax - r.msDiameterMin) * rng.beta(1.0, 6.0));
}

// New and enhancing lesions, the targets of the two active-lesion tasks: at least 2.5 voxels across on
// the study's grid (5 mm at 2 mm, 3 mm at 1 mm), at most 12 mm, skewed small (median 6.4 mm at 2 mm).
// Smaller ones are not resolved at the grid (a 4 mm lesion at 2 mm is one to four voxels after partial
// volume) and cannot be learned or scored; FLAIR lesion loads keep their small ones as context.
double activeMinDiameter(double spacingMm) { return std::max(ranges().msDiameterMin, ranges().activeMinVoxels * spacingMm); }

double activeDiameter(Rng& rng, double spacingMm) {
  const double lo = activeMinDiameter(spacingMm);
  return lo + (std::max(lo, ranges().activeDiameterMax) - lo) * rng.beta(1.0, 3.0);
}

int msCount(Rng& rng, int maxCount) {
  // Widely varying lesion load: many studies with few lesions, a tail with many.
  if (rng.chance(0.08)) return 0;
  return std::clamp(static_cast<int>(std::lround(maxCount * rng.beta(1.0, 2.0))), 0, maxCount);
}

// n lesions, one record each. A quarter are confluent: they grow one or two overlapping lobes, returned in
// *lobes (the same lesion: no record of their own; the caller renders them after the lesions).
std::vector<Blob> msLesions(const Subject& s, Rng& rng, int n, std::vector<LesionRecord>& rec, bool labelled,
                            std::vector<Blob>* lobes) {
  std::vector<Blob> out;
  for (int i = 0; i < n; ++i) {
    const double d = msDiameter(rng);
    Blob b = msLesion(s, rng, d, msLocation(rng));
    b.labelled = labelled;
    out.push_back(b);
    rec.push_back({b.kind, d, labelled, false});
    if (rng.chance(0.25)) {
      const int nLobes = rng.chance(0.5) ? 1 : 2;
      const double reach = std::max({b.radii[0], b.radii[1], b.radii[2]});
      for (int l = 0; l < nLobes; ++l) {
        Blob lobe = b;
        lobe.noiseSeed = rng.next();
        lobe.radii = scalev(b.radii, rng.uniform(0.5, 0.8));
        lobe.axes = axesAlong(rng.unitVector(), rng);
        lobe.center = addv(b.center, scalev(rng.unitVector(), reach * rng.uniform(0.6, 1.0)));
        lobes->push_back(lobe);
      }
    }
  }
  return out;
}

Rigid smallRigid(Rng& rng) {
  const Vec3 axis = rng.unitVector();
  const double ang = rng.uniform(-3.0, 3.0) * M_PI / 180.0;
  const double c = std::cos(ang), s = std::sin(ang), t = 1 - c;
  const double x = axis[0], y = axis[1], z = axis[2];
  Rigid r;
  r.r = {t * x * x + c, t * x * y - s * z, t * x * z + s * y, t * x * y + s * z, t * y * y + c,
         t * y * z - s * x, t * x * z - s * y, t * y * z + s * x, t * z * z + c};
  r.t = {rng.uniform(-3, 3), rng.uniform(-3, 3), rng.uniform(-3, 3)};
  return r;
}

RenderOptions baseRender(const CohortOptions& o, Rng& rng, std::vector<Contrast> contrasts) {
  RenderOptions r;
  r.grid = centredGrid(o.shape, o.spacingMm);
  r.contrasts = std::move(contrasts);
  r.skull = o.skull;
  // Rician sigma as a multiple of WM: SNR 40-100 for 2 mm voxels (8x the volume of a 1 mm voxel, whose
  // FLAIR SNR is typically 15-35); real 1 mm FLAIR brought to 2 mm has WM local SD 0.33 z (docs/SYNTH.md).
  r.noiseSigma = rng.uniform(0.01, 0.025);
  r.biasStrength = rng.uniform(0.08, 0.2);
  r.gain = rng.uniform(800, 1250);
  r.seed = rng.next();
  return r;
}

}  // namespace

std::string subjectId(const std::string& cohortName, int index) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s%03d", cohort(cohortName).prefix.c_str(), index + 1);
  return buf;
}

std::string sessionOf(const std::string& cohortName) { return cohortName == "ms_longitudinal" ? "2" : "1"; }

FloatVolume resampleThrough(const FloatVolume& mv, const Geometry& grid, const Rigid& t) {
  FloatVolume out(grid, 0.0f);
  for (int64_t k = 0; k < grid.size[2]; ++k)
    for (int64_t j = 0; j < grid.size[1]; ++j)
      for (int64_t i = 0; i < grid.size[0]; ++i) {
        const Vec3 ci = mv.geom.physicalToIndex(t.apply(grid.indexToPhysical(i, j, k)));
        const double fx = std::floor(ci[0]), fy = std::floor(ci[1]), fz = std::floor(ci[2]);
        const int64_t x0 = static_cast<int64_t>(fx), y0 = static_cast<int64_t>(fy), z0 = static_cast<int64_t>(fz);
        const double tx = ci[0] - fx, ty = ci[1] - fy, tz = ci[2] - fz;
        double acc = 0;
        for (int c = 0; c < 8; ++c) {
          const int64_t x = x0 + (c & 1), y = y0 + ((c >> 1) & 1), z = z0 + ((c >> 2) & 1);
          const double w = ((c & 1) ? tx : 1 - tx) * (((c >> 1) & 1) ? ty : 1 - ty) * (((c >> 2) & 1) ? tz : 1 - tz);
          if (w > 0 && mv.inside(x, y, z)) acc += w * mv.at(x, y, z);
        }
        out.at(i, j, k) = static_cast<float>(acc);
      }
  return out;
}

namespace {

// The rendered images as the study's channels (in contrast order), with its label and brain mask.
void keepRendered(Study& st, Rendered img, const std::vector<std::string>& names) {
  st.channels.clear();
  for (size_t c = 0; c < names.size(); ++c) st.channels.emplace_back(names[c], std::move(img.images[c]));
  st.label = std::move(img.label);
  st.brainmask = std::move(img.brainmask);
  st.regions = std::move(img.regions);
}

void msFlairStudy(const CohortOptions& o, Rng& rng, Subject& subject, Study& st) {
  const Ranges& R = ranges();
  RenderOptions r = baseRender(o, rng, {Contrast::kFlair});
  std::vector<Blob> lobes;
  r.blobs = msLesions(subject, rng, msCount(rng, R.msLesionsMax), st.lesions, true, &lobes);
  r.blobs.insert(r.blobs.end(), lobes.begin(), lobes.end());
  keepRendered(st, render(subject, r), {"flair"});
}

void msLongitudinalStudy(const CohortOptions& o, Rng& rng, Subject& subject, Study& st) {
  const Ranges& R = ranges();
  std::vector<Blob> lobes;
  std::vector<Blob> prior = msLesions(subject, rng, msCount(rng, 30), st.lesions, false, &lobes);
  prior.insert(prior.end(), lobes.begin(), lobes.end());
  std::vector<Blob> later = prior;
  for (auto& b : later)
    if (rng.chance(0.3)) b.radii = scalev(b.radii, rng.uniform(0.88, 1.12));  // growth or shrinkage
  const int nNew = rng.chance(0.25) ? 0 : rng.integer(1, R.newLesionsMax);
  for (int i = 0; i < nNew; ++i) {
    const double d = activeDiameter(rng, o.spacingMm);
    // A new lesion appears in normal-appearing white matter, away from the lesions of the prior visit.
    Blob b;
    for (int attempt = 0; attempt < 50; ++attempt) {
      b = msLesion(subject, rng, d, msLocation(rng));
      bool clear = true;
      for (const auto& old : later) {
        const double dx = b.center[0] - old.center[0], dy = b.center[1] - old.center[1], dz = b.center[2] - old.center[2];
        const double reach = std::max({b.radii[0], b.radii[1], b.radii[2]}) * 1.3 +
                             std::max({old.radii[0], old.radii[1], old.radii[2]}) * 1.3 + 2.0;
        if (dx * dx + dy * dy + dz * dz < reach * reach) clear = false;
      }
      if (clear) break;
    }
    b.labelled = true;
    later.push_back(b);
    st.lesions.push_back({b.kind, d, true, true});
  }
  RenderOptions rLater = baseRender(o, rng, {Contrast::kFlair});
  rLater.blobs = later;
  RenderOptions rPrior = baseRender(o, rng, {Contrast::kFlair});
  rPrior.blobs = prior;
  rPrior.gain = rLater.gain * rng.uniform(0.85, 1.15);  // scanner drift between visits
  const Rigid move = smallRigid(rng);
  rPrior.gridToAnatomy = move;
  Rendered a = render(subject, rPrior), b = render(subject, rLater);
  FloatVolume priorImg = std::move(a.images[0]);
  if (o.longitudinalMode == "register") priorImg = resampleThrough(priorImg, b.images[0].geom, move);
  else st.priorTransform = move;
  st.channels = {{"flair_prior", std::move(priorImg)}, {"flair", std::move(b.images[0])}};
  st.label = std::move(b.label);
  st.brainmask = std::move(b.brainmask);
  st.regions = std::move(b.regions);
}

void msEnhancementStudy(const CohortOptions& o, Rng& rng, Subject& subject, Study& st) {
  const Ranges& R = ranges();
  RenderOptions r = baseRender(o, rng, {Contrast::kT1, Contrast::kT1Post});
  std::vector<Blob> lobes;
  std::vector<Blob> lesions = msLesions(subject, rng, msCount(rng, R.msLesionsMax), st.lesions, false, &lobes);
  const int nEnh = rng.chance(0.2) ? 0 : rng.integer(1, R.enhancingMax);
  for (int i = 0; i < nEnh; ++i) {
    size_t at;
    const bool old = rng.chance(0.7);  // an existing lesion enhances, when one is large enough to resolve
    if (old && i < static_cast<int>(lesions.size()) && st.lesions[static_cast<size_t>(i)].diameterMm >= activeMinDiameter(o.spacingMm)) {
      at = static_cast<size_t>(i);
    } else {  // an active lesion without an older FLAIR-visible history in the list
      const double d = activeDiameter(rng, o.spacingMm);
      lesions.push_back(msLesion(subject, rng, d, msLocation(rng)));
      st.lesions.push_back({lesions.back().kind, d, false, false});
      at = lesions.size() - 1;
    }
    Blob& b = lesions[at];
    b.labelled = true;
    const double d = st.lesions[at].diameterMm;
    if (d >= 7.0 && rng.chance(0.35)) {
      b.ringMm = rng.uniform(1.2, 2.0);
      b.coreT1 = b.t1;
      b.enhance = rng.uniform(0.45, 0.8);
    } else {
      b.enhance = rng.uniform(0.3, 0.7);
    }
    st.lesions[at].labelled = true;
    st.lesions[at].kind += b.ringMm > 0 ? "/ring_enhancing" : "/nodular_enhancing";
  }
  r.blobs = lesions;
  r.blobs.insert(r.blobs.end(), lobes.begin(), lobes.end());  // lobes of enhancing lesions do not enhance
  r.distractors = true;
  keepRendered(st, render(subject, r), {"t1", "t1post"});
}

void sourceFlairStudy(const CohortOptions& o, Rng& rng, Subject& subject, Study& st) {
  const Ranges& R = ranges();
  RenderOptions r = baseRender(o, rng, {Contrast::kFlair});
  const int n = rng.integer(R.sourcePathologiesMin, R.sourcePathologiesMax);
  for (int i = 0; i < n; ++i) {
    const double u = rng.uniform(0, 1);
    if (u < 0.35) {  // tumour with surrounding oedema
      Blob oed;
      oed.center = subject.randomPointIn(rng, false);
      const double d = rng.uniform(24, 56);
      oed.radii = radiiFor(d, rng.uniform(0.8, 1.3), rng.uniform(0.8, 1.2), 1.0);
      oed.axes = axesAlong(rng.unitVector(), rng);
      oed.irregularity = rng.uniform(0.25, 0.4);
      oed.noiseSeed = rng.next();
      oed.flair = rng.uniform(1.35, 1.7);
      oed.t1 = 0.85;
      oed.kind = "tumour_oedema";
      Blob core = oed;
      const double dc = rng.uniform(10, std::min(24.0, 0.6 * d));
      core.radii = radiiFor(dc, 1.1, 1.0, 0.9);
      core.irregularity = 0.2;
      core.noiseSeed = rng.next();
      core.flair = rng.uniform(1.15, 1.35);
      core.ringMm = rng.uniform(2, 4);
      core.coreFlair = rng.uniform(1.5, 1.9);  // necrosis/cyst
      core.kind = "tumour_core";
      r.blobs.push_back(oed);
      r.blobs.push_back(core);
      st.lesions.push_back({"tumour", d, true, false});
    } else if (u < 0.65) {  // cortical-subcortical infarct, wedge-like and radial
      Blob b;
      b.center = subject.juxtacorticalPoint(rng, 0.0);
      const double d = rng.uniform(14, 36);
      b.radii = radiiFor(d, 1.5, 1.0, 0.8);
      b.axes = axesAlong({b.center[0], b.center[1], b.center[2] - 10}, rng);
      b.irregularity = rng.uniform(0.15, 0.3);
      b.noiseSeed = rng.next();
      b.flair = rng.uniform(1.5, 1.9);
      b.t1 = 0.7;
      b.kind = "infarct";
      r.blobs.push_back(b);
      st.lesions.push_back({"infarct", d, true, false});
    } else {  // confluent small-vessel disease: periventricular caps and bands, punctate foci
      const int caps = rng.integer(4, 10);
      for (int k = 0; k < caps; ++k) {
        Vec3 nrm;
        Vec3 p = subject.ventricleSurfacePoint(rng, &nrm);
        Blob b;
        const double d = rng.uniform(8, 18);
        b.radii = radiiFor(d, 0.7, 1.5, 1.0);  // flat along the ventricle wall
        b.axes = axesAlong(nrm, rng);
        b.center = addv(p, scalev(nrm, b.radii[0] * 0.5));
        b.irregularity = 0.2;
        b.noiseSeed = rng.next();
        b.flair = rng.uniform(1.25, 1.55);
        b.t1 = 0.85;
        b.kind = "small_vessel_disease";
        r.blobs.push_back(b);
      }
      const int punct = rng.integer(0, 5);
      for (int k = 0; k < punct; ++k) {
        Blob b;
        b.center = subject.randomPointIn(rng, false);
        b.radii = radiiFor(rng.uniform(3, 7), 1, 1, 1);
        b.irregularity = 0.15;
        b.noiseSeed = rng.next();
        b.flair = rng.uniform(1.3, 1.6);
        b.t1 = 0.85;
        b.kind = "small_vessel_disease";
        r.blobs.push_back(b);
      }
      st.lesions.push_back({"small_vessel_disease", 0.0, true, false});
    }
  }
  keepRendered(st, render(subject, r), {"flair"});
}

void sourceEnhancementStudy(const CohortOptions& o, Rng& rng, Subject& subject, Study& st) {
  const Ranges& R = ranges();
  RenderOptions r = baseRender(o, rng, {Contrast::kT1, Contrast::kT1Post});
  const int n = rng.integer(R.metastasesMin, R.metastasesMax);
  for (int i = 0; i < n; ++i) {
    const double d = R.metDiameterMin + (R.metDiameterMax - R.metDiameterMin) * rng.beta(1.1, 2.5);
    Blob m;
    m.center = rng.chance(0.8) ? subject.juxtacorticalPoint(rng, 0.3 * d) : subject.randomPointIn(rng, true);
    m.radii = radiiFor(d, 1.05, 1.0, 0.95);
    m.axes = axesAlong(rng.unitVector(), rng);
    m.irregularity = rng.uniform(0.05, 0.15);
    m.noiseSeed = rng.next();
    m.t1 = rng.uniform(0.65, 0.85);
    m.flair = 1.3;
    if (d >= 10) {
      m.ringMm = rng.uniform(1.5, 3.0);
      m.coreT1 = rng.uniform(0.3, 0.5);
      m.enhance = rng.uniform(0.5, 0.9);
    } else {
      m.enhance = rng.uniform(0.45, 0.9);
    }
    m.kind = m.ringMm > 0 ? "metastasis/ring" : "metastasis/solid";
    Blob oed = m;  // vasogenic oedema around it (not labelled), rendered first
    oed.radii = scalev(m.radii, rng.uniform(1.5, 2.8));
    oed.irregularity = 0.3;
    oed.noiseSeed = rng.next();
    oed.ringMm = 0;
    oed.enhance = 0;
    oed.t1 = 0.85;
    oed.flair = 1.5;
    oed.labelled = false;
    oed.kind = "oedema";
    r.blobs.insert(r.blobs.begin(), oed);
    r.blobs.push_back(m);
    st.lesions.push_back({m.kind, d, true, false});
  }
  r.distractors = true;
  keepRendered(st, render(subject, r), {"t1", "t1post"});
}

}  // namespace

Study makeStudy(const CohortOptions& o, int index) {
  cohort(o.cohort);  // throws InputError for an unknown cohort
  const uint64_t studySeed = mix64(Hasher().str(o.cohort).u64(o.seed).u64(static_cast<uint64_t>(index)).value());
  Rng rng(studySeed);
  const bool source = o.cohort.rfind("source_", 0) == 0;
  const double atrophy = source ? rng.uniform(0.2, 0.9) : rng.beta(2.0, 3.0);
  Subject subject(rng.next(), atrophy);
  Study st;
  st.subject = subjectId(o.cohort, index);
  st.session = sessionOf(o.cohort);
  if (o.cohort == "ms_flair") msFlairStudy(o, rng, subject, st);
  else if (o.cohort == "ms_longitudinal") msLongitudinalStudy(o, rng, subject, st);
  else if (o.cohort == "ms_enhancement") msEnhancementStudy(o, rng, subject, st);
  else if (o.cohort == "source_flair") sourceFlairStudy(o, rng, subject, st);
  else if (o.cohort == "source_enhancement") sourceEnhancementStudy(o, rng, subject, st);
  return st;
}

namespace {
nlohmann::ordered_json optionsJson(const CohortOptions& o) {
  nlohmann::ordered_json j;
  j["cohort"] = o.cohort;
  j["count"] = o.count;
  j["seed"] = o.seed;
  j["shape"] = {o.shape[0], o.shape[1], o.shape[2]};
  j["spacing_mm"] = o.spacingMm;
  j["skull"] = o.skull;
  j["longitudinal_mode"] = o.longitudinalMode;
  j["generator_version"] = 3;  // 2: <subject>_regions.nii.gz; 3: new and enhancing lesions resolvable on the grid
  return j;
}
}  // namespace

std::filesystem::path generateCohort(const CohortOptions& o, const std::filesystem::path& outRoot, bool progress) {
  o.validate();
  const CohortInfo& info = cohort(o.cohort);
  const auto dir = outRoot / o.cohort;
  const auto manifestPath = dir / "manifest.csv";
  const auto jsonPath = dir / "cohort.json";
  const nlohmann::ordered_json opts = optionsJson(o);
  if (std::filesystem::exists(manifestPath) && std::filesystem::exists(jsonPath)) {
    const auto old = nlohmann::ordered_json::parse(readText(jsonPath), nullptr, false);
    if (old.is_object() && old.contains("options") && old["options"] == opts) {
      log::info(o.cohort, ": up to date in ", dir.string(), " (", log::studies(o.count), ")");
      return manifestPath;
    }
  }
  std::filesystem::create_directories(dir);
  std::filesystem::remove(manifestPath);  // the folder is incomplete until the manifest is rewritten
  std::vector<io::StudyRow> rows(static_cast<size_t>(o.count));
  std::vector<std::vector<LesionRecord>> lesions(static_cast<size_t>(o.count));
  std::atomic<int> done{0};
  std::mutex mu;
  std::unique_ptr<Progress> bar;
  if (progress) bar = std::make_unique<Progress>("synth " + o.cohort, o.count);
  parallelFor(static_cast<size_t>(o.count), o.threads, [&](size_t idx) {
    const int i = static_cast<int>(idx);
    Study st = makeStudy(o, i);
    io::StudyRow row;
    row.subject = st.subject;
    row.session = st.session;
    for (auto& [name, img] : st.channels) {
      auto p = dir / (st.subject + "_" + name + ".nii.gz");
      io::writeImage(p, img);
      row.channels.emplace_back(name, p);
    }
    if (st.priorTransform) {
      io::AffineTransform t;
      t.matrix = st.priorTransform->r;
      t.offset = st.priorTransform->t;
      auto p = dir / (st.subject + "_flair_prior_to_flair.txt");
      io::writeTransform(p, t);
      row.transforms["flair_prior"] = p;
      row.reference = dir / (st.subject + "_flair.nii.gz");
    }
    row.label = dir / (st.subject + "_label.nii.gz");
    row.brainmask = dir / (st.subject + "_brainmask.nii.gz");
    io::writeMask(row.label, st.label);
    io::writeMask(row.brainmask, st.brainmask);
    FloatVolume regions(st.regions.geom, 0.0f);
    for (size_t v = 0; v < regions.data.size(); ++v) regions.data[v] = st.regions.data[v];
    io::writeImage(dir / (st.subject + "_regions.nii.gz"), regions);
    rows[static_cast<size_t>(i)] = row;
    lesions[static_cast<size_t>(i)] = st.lesions;
    std::lock_guard<std::mutex> lock(mu);
    ++done;
    if (bar) bar->update(done);
  });
  if (bar) bar->finish();

  std::string lcsv = csvLine({"subject", "session", "kind", "diameter_mm", "labelled", "new"});
  for (size_t i = 0; i < rows.size(); ++i)
    for (const auto& l : lesions[i]) {
      char d[32];
      std::snprintf(d, sizeof d, "%.2f", l.diameterMm);
      lcsv += csvLine({rows[i].subject, rows[i].session, l.kind, d, l.labelled ? "1" : "0", l.isNew ? "1" : "0"});
    }
  writeTextAtomic(dir / "lesions.csv", lcsv);
  const nlohmann::ordered_json json = {{"options", opts},
                                       {"description", info.description},
                                       {"mstransfer_version", version()},
                                       {"git_commit", gitCommit()}};
  writeTextAtomic(jsonPath, json.dump(2) + "\n");
  io::Manifest m;
  m.channels = info.channels;
  m.hasSession = m.hasLabel = m.hasBrainmask = true;
  m.hasReference = o.cohort == "ms_longitudinal" && o.longitudinalMode == "transform";
  m.rows = rows;
  io::writeManifest(manifestPath, m);  // last: marks the cohort complete
  return manifestPath;
}

}  // namespace mst::synth
