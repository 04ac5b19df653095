#include "lib/synth/Phantom.h"

#include <algorithm>
#include <cmath>

namespace mst::synth {

const char* contrastName(Contrast c) {
  switch (c) {
    case Contrast::kFlair: return "flair";
    case Contrast::kT1: return "t1";
    case Contrast::kT1Post: return "t1post";
  }
  return "?";
}

namespace {

inline double len(const Vec3& v) { return std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]); }
inline Vec3 sub(const Vec3& a, const Vec3& b) { return {a[0] - b[0], a[1] - b[1], a[2] - b[2]}; }
inline Vec3 add(const Vec3& a, const Vec3& b) { return {a[0] + b[0], a[1] + b[1], a[2] + b[2]}; }
inline Vec3 scale(const Vec3& a, double s) { return {a[0] * s, a[1] * s, a[2] * s}; }
inline double dot(const Vec3& a, const Vec3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
inline Vec3 cross(const Vec3& a, const Vec3& b) {
  return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}

// Approximate signed distance to an axis-aligned ellipsoid (exact on the
// axes, good near the surface).
double sdEllipsoid(const Vec3& p, const Vec3& c, const Vec3& r) {
  const double x = (p[0] - c[0]), y = (p[1] - c[1]), z = (p[2] - c[2]);
  const double k0 = std::sqrt(x * x / (r[0] * r[0]) + y * y / (r[1] * r[1]) + z * z / (r[2] * r[2]));
  const double k1 = std::sqrt(x * x / (r[0] * r[0] * r[0] * r[0]) + y * y / (r[1] * r[1] * r[1] * r[1]) +
                              z * z / (r[2] * r[2] * r[2] * r[2]));
  if (k1 < 1e-12) return -std::min({r[0], r[1], r[2]});
  return k0 * (k0 - 1.0) / k1;
}

double segmentDistance(const Vec3& p, const Vec3& a, const Vec3& b) {
  const Vec3 ab = sub(b, a), ap = sub(p, a);
  double t = dot(ap, ab) / std::max(1e-12, dot(ab, ab));
  t = std::clamp(t, 0.0, 1.0);
  return len(sub(ap, scale(ab, t)));
}

struct Intensity {
  double wm, gm, deep, cereb, csf;
};
// Tissue intensities relative to white matter, per contrast.
const Intensity kFlair{1.0, 1.18, 1.08, 1.12, 0.12};
const Intensity kT1{1.0, 0.68, 0.8, 0.75, 0.2};

// Sulci are where the folding noise (scale kFoldMm) crosses zero, |fold| * kFoldMm read as mm: sulcal CSF
// within kSulcusHalfMm (about 1.3 mm across), lined on each side by kSulcalCortexMm of grey matter (real
// cortex: 2-3 mm; an earlier 0.9 mm lining left a ribbon of dark lines at 2 mm, docs/SYNTH.md). The scale
// sets the gyral width: 12 mm leaves white-matter cores in the gyri between sulci as deep as real ones.
constexpr double kFoldMm = 12.0, kSulcusHalfMm = 0.63, kSulcalCortexMm = 2.25;
// Sulci bend: the folding noise is read this share of the way from the surface point back to p.
constexpr double kSulcusBend = 0.35;
// Sulcal depth below the surface varies from sulcus to sulcus (real: about 10-30 mm, deepest in the
// central, cingulate and calcarine sulci), so white matter reaches into the gyri as branching cores.
constexpr double kSulcusDepthMin = 12.0, kSulcusDepthRange = 18.0;

}  // namespace

// ---------------------------------------------------------------- blobs

double Blob::signedDistance(const Vec3& p) const {
  const Vec3 d = sub(p, center);
  Vec3 local{dot(d, {axes[0], axes[3], axes[6]}), dot(d, {axes[1], axes[4], axes[7]}),
             dot(d, {axes[2], axes[5], axes[8]})};
  const double n = len({local[0] / radii[0], local[1] / radii[1], local[2] / radii[2]});
  double mod = 1.0;
  if (irregularity > 0 && n > 1e-9) {
    ValueNoise noise(noiseSeed);
    const double s = 1.6 / n;
    mod = 1.0 + irregularity * noise.fbm(local[0] / radii[0] * s + 5.3, local[1] / radii[1] * s + 1.1,
                                         local[2] / radii[2] * s + 7.7);
  }
  const Vec3 r = {radii[0] * mod, radii[1] * mod, radii[2] * mod};
  return sdEllipsoid(local, {0, 0, 0}, r);
}

double Blob::contrastGain(const Vec3& p, double sd) const {
  if (rim <= 0 && heterogeneity <= 0) return 1.0;
  const double depth = std::clamp(-sd / (0.5 * std::min({radii[0], radii[1], radii[2]})), 0.0, 1.0);
  double g = 1.0 - rim * (1.0 - depth);
  if (heterogeneity > 0) {
    ValueNoise noise(noiseSeed ^ 0x9e3779b97f4a7c15ULL);
    g *= 1.0 + heterogeneity * noise(p[0] / 2.0, p[1] / 2.0, p[2] / 2.0);
  }
  return std::max(0.0, g);
}

double Blob::innerSignedDistance(const Vec3& p) const {
  if (ringMm <= 0) return signedDistance(p);
  return signedDistance(p) + ringMm;
}

std::array<Vec3, 2> Blob::bounds(double margin) const {
  const double r = std::max({radii[0], radii[1], radii[2]}) * (1.0 + 1.2 * irregularity) + margin;
  return {Vec3{center[0] - r, center[1] - r, center[2] - r}, Vec3{center[0] + r, center[1] + r, center[2] + r}};
}

std::array<double, 9> axesAlong(const Vec3& dir, Rng& rng) {
  Vec3 a = scale(dir, 1.0 / std::max(1e-12, len(dir)));
  Vec3 t = rng.unitVector();
  Vec3 b = cross(a, t);
  if (len(b) < 1e-6) b = cross(a, {0, 0, 1});
  b = scale(b, 1.0 / len(b));
  Vec3 c = cross(a, b);
  return {a[0], b[0], c[0], a[1], b[1], c[1], a[2], b[2], c[2]};
}

// ---------------------------------------------------------------- rigid

Vec3 Rigid::apply(const Vec3& p) const {
  return {r[0] * p[0] + r[1] * p[1] + r[2] * p[2] + t[0], r[3] * p[0] + r[4] * p[1] + r[5] * p[2] + t[1],
          r[6] * p[0] + r[7] * p[1] + r[8] * p[2] + t[2]};
}

Vec3 Rigid::applyInverse(const Vec3& q) const {
  const Vec3 d = sub(q, t);
  return {r[0] * d[0] + r[3] * d[1] + r[6] * d[2], r[1] * d[0] + r[4] * d[1] + r[7] * d[2],
          r[2] * d[0] + r[5] * d[1] + r[8] * d[2]};
}

// ---------------------------------------------------------------- subject

Subject::Subject(uint64_t seed, double atrophy)
    : seed_(seed), fold_(seed * 3 + 1), surface_(seed * 3 + 2), deformNoise_(seed * 3 + 3),
      texture_(mix64(seed ^ 0x5bd1e9955bd1e995ULL)) {
  Rng rng(seed);
  const double s = rng.uniform(0.93, 1.07);
  brainRadii_ = {68 * s * rng.uniform(0.97, 1.03), 84 * s * rng.uniform(0.97, 1.03), 56 * s * rng.uniform(0.97, 1.03)};
  brainCenter_ = {0, 0, 10};
  ventScale_ = 0.85 + 0.8 * atrophy;
  cortexMm_ = 3.3 - 0.6 * atrophy;
  deformAmp_ = rng.uniform(2.0, 4.0);
  // Vessels: short segments running along the surface and in the fissure.
  for (int i = 0; i < 14; ++i) {
    Vec3 d = rng.unitVector();
    if (d[2] < -0.3) d[2] = -d[2];
    Vec3 a = add(brainCenter_, {d[0] * brainRadii_[0] * 0.93, d[1] * brainRadii_[1] * 0.93, d[2] * brainRadii_[2] * 0.93});
    Vec3 dir = cross(d, rng.unitVector());
    dir = scale(dir, rng.uniform(10, 25) / std::max(1e-9, len(dir)));
    vessels_.push_back({a, add(a, dir), rng.uniform(0.6, 1.1)});
  }
  for (int side : {-1, 1}) {
    vessels_.push_back({{side * 1.5, -40, 35}, {side * 1.5, 20, 38}, 0.8});  // pericallosal
    Blob c;
    c.center = {side * (13 + 2 * ventScale_), 20, 12};
    c.radii = {2.5, 4.5, 2.5};
    c.irregularity = 0.3;
    c.noiseSeed = seed * 7 + (side > 0);
    c.flair = 0.55;
    c.t1 = 0.5;
    c.enhance = 0.9;
    c.labelled = false;
    c.kind = "choroid_plexus";
    choroid_.push_back(c);
  }
  textureAmp_ = rng.uniform(0.02, 0.04);
  capAmp_ = rng.uniform(0.05, 0.2);
  gmAmp_ = rng.uniform(0.08, 0.16);
  // Insula (its lateral surface |x|, centre y and z) and the Sylvian fissure's slope (rising posteriorly).
  insulaX_ = brainRadii_[0] / 68.0 * rng.uniform(35.0, 39.0);
  insulaY_ = rng.uniform(-9.0, -3.0);
  insulaZ_ = rng.uniform(5.0, 11.0);
  fissureSlope_ = rng.uniform(0.1, 0.3);
  // Grey-white contrast on FLAIR differs between protocols (TI, TE, 2D / 3D, field strength): GM / WM
  // 1.10-1.32 around the nominal 1.18.
  gmContrast_ = rng.uniform(1.10, 1.32) / kFlair.gm;
}

double Subject::sdSylvian(const Vec3& p, double* gmSd) const {
  // Each hemisphere: the insular cortex (3 mm, on an ellipse of 20 x 11 mm in the y-z plane, bulging
  // laterally by 2 mm), the CSF of the circular sulcus and cistern over it (1.5 mm), the opercula's
  // cortex facing it (2.5 mm), and the fissure's stem from there to the lateral surface (2 mm of CSF,
  // lined by 2.5 mm of cortex on each side).
  const double ax = std::abs(p[0]);
  const double ey = (p[1] - insulaY_) / 20.0, ez = (p[2] - insulaZ_) / 11.0;
  const double e2 = ey * ey + ez * ez;
  const double diskSd = (std::sqrt(e2) - 1.0) * 11.0;
  const double xi = insulaX_ + 2.0 * std::max(0.0, 1.0 - e2);
  const double cistern = std::max({diskSd, xi - ax, ax - (xi + 1.5)});
  const double stemZ = std::abs(p[2] - (insulaZ_ + fissureSlope_ * (p[1] - insulaY_)));
  const double stemY = std::max(insulaY_ - 22.0 - p[1], p[1] - (insulaY_ + 26.0));
  const double stem = std::max({stemZ - 1.0, insulaX_ - ax, stemY});
  const double insula = std::max({diskSd, xi - 3.0 - ax, ax - xi});
  const double operculum = std::max({diskSd, xi + 1.5 - ax, ax - (xi + 4.0)});
  const double lining = std::max({stemZ - 3.5, insulaX_ - ax, stemY});
  *gmSd = std::min({insula, operculum, lining});
  return std::min(cistern, stem);
}

std::array<double, 2> Subject::whiteMatterGain(const Vec3& u, const Tissue& t) const {
  const double tex = 1.0 + textureAmp_ * texture_.fbm(u[0] / 6.0, u[1] / 6.0, u[2] / 6.0);
  double cap = 0;
  if (t.ventSd > 0 && t.ventSd < 8.0) {
    // Thin rim along the lateral ventricles, thicker at the frontal and occipital horns (|y| large).
    const double reach = 1.5 + 2.0 * std::min(1.0, std::abs(u[1] + 4.0) / 30.0);
    cap = capAmp_ * std::exp(-t.ventSd / reach) * (0.75 + 0.25 * texture_(u[0] / 3.0 + 41.0, u[1] / 3.0, u[2] / 3.0));
  }
  return {tex * (1.0 + cap), tex};
}

double Subject::greyMatterGain(const Vec3& u) const {
  // Cortical FLAIR signal varies by region in real scans (insula, cingulate and medial temporal
  // cortex brighter, other areas dimmer): a smooth +-gmAmp_ field at a 2 cm scale.
  return gmContrast_ * (1.0 + gmAmp_ * texture_.fbm(u[0] / 20.0 - 53.0, u[1] / 20.0, u[2] / 20.0));
}

double Subject::cerebellumGain(const Vec3& u) const {
  // Folia (about 3 mm) are below a 2 mm grid's resolution: a fine mottling of grey and white matter.
  return 1.0 + 0.08 * texture_.fbm(u[0] / 2.5 + 77.0, u[1] / 2.5, u[2] / 2.5);
}

bool Subject::clearlyOutside(const Vec3& p) const {
  // Deformation (< 4.5 mm) and surface modulation (< 1.8 mm) stay inside this margin.
  const double margin = 9.0;
  return sdEllipsoid(p, brainCenter_, brainRadii_) > margin && sdInfratentorial(p) > margin;
}

Vec3 Subject::deform(const Vec3& p) const {
  const double f = 1.0 / 55.0;
  return {p[0] + deformAmp_ * deformNoise_(p[0] * f, p[1] * f, p[2] * f),
          p[1] + deformAmp_ * deformNoise_(p[0] * f + 31.4, p[1] * f, p[2] * f),
          p[2] + deformAmp_ * deformNoise_(p[0] * f, p[1] * f + 27.1, p[2] * f)};
}

double Subject::sdInfratentorial(const Vec3& p) const {
  return std::min(sdEllipsoid(p, {0, 44, -36}, {46, 26, 20}), sdEllipsoid(p, {0, 16, -36}, {11, 11, 26}));
}

double Subject::sdBrainShape(const Vec3& p) const {
  double cerebrum = sdEllipsoid(p, brainCenter_, brainRadii_);
  // The surface modulation is at most 1.8 mm: evaluate the noise only near the surface.
  if (std::abs(cerebrum) < 6.0) cerebrum -= 1.8 * surface_.fbm(p[0] / 25, p[1] / 25, p[2] / 25);
  return std::min(cerebrum, sdInfratentorial(p));
}

double Subject::sdVentricles(const Vec3& p) const {
  const double vs = ventScale_, vy = std::sqrt(vs);
  double d = 1e9;
  for (int side : {-1, 1}) {
    const double x = side * (9.5 + 2.0 * vs);
    d = std::min(d, sdEllipsoid(p, {x, -4, 18}, {5.5 * vs, 27 * vy, 7 * vs}));
    d = std::min(d, sdEllipsoid(p, {x * 1.4, 25, 9}, {5 * vs, 12 * vy, 6.5 * vs}));
  }
  d = std::min(d, sdEllipsoid(p, {0, 2, 2}, {1.6 * vs, 12, 8}));
  d = std::min(d, sdEllipsoid(p, {0, 34, -33}, {4.5, 3.5, 3.5}));
  return d;
}

double Subject::sdDeep(const Vec3& p) const {
  double d = 1e9;
  for (int side : {-1, 1}) {
    d = std::min(d, sdEllipsoid(p, {side * 11.0, 6, 4}, {7.5, 12, 8}));
    d = std::min(d, sdEllipsoid(p, {side * 22.0, -8, 8}, {6.5, 15, 10}));
  }
  return d;
}

Tissue Subject::tissue(const Vec3& p, double pv) const {
  Tissue t;
  t.sdBrain = sdBrainShape(p);
  t.brain = pvFraction(t.sdBrain, pv);
  if (t.brain <= 0) return t;
  t.depth = std::max(0.0, -t.sdBrain);
  const double infra = sdInfratentorial(p);
  const double cereb = pvFraction(std::max(infra, p[2] + 14.0), pv);
  // Sulci: thin sheets where smooth noise crosses zero, 12-30 mm deep and of varying width,
  // lined by cortex; none in the cerebellum (folia are below this resolution).
  // The noise is read near the point that p projects to on the brain's surface (along its ray
  // from the centre), so the sheets run from the surface inwards, as real sulci do; reading it
  // kSulcusBend of the way back towards p bends them.
  double g = 1.0, sulcDepth = kSulcusDepthMin, sulcHalf = kSulcusHalfMm;
  if (t.depth < kSulcusDepthMin + kSulcusDepthRange + cortexMm_ + 2.0) {
    const Vec3 q{(p[0] - brainCenter_[0]) / brainRadii_[0], (p[1] - brainCenter_[1]) / brainRadii_[1],
                 (p[2] - brainCenter_[2]) / brainRadii_[2]};
    const double n = std::max(1e-6, std::sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2]));
    Vec3 u, w;
    for (int a = 0; a < 3; ++a) {
      const double s = brainCenter_[a] + q[a] / n * brainRadii_[a];
      u[a] = (s + kSulcusBend * (p[a] - s)) / kFoldMm;
      w[a] = s / 30.0;
    }
    g = std::abs(fold_.fbm(u[0], u[1], u[2]));
    // Each sulcus its own depth: a smooth field over the surface (about 3 cm scale).
    sulcDepth = kSulcusDepthMin + kSulcusDepthRange * std::clamp(0.5 + 0.8 * fold_(w[0] + 61.0, w[1], w[2]), 0.0, 1.0);
    // ... and its own width (about 2 cm scale): from closed (the two banks of cortex touch, no CSF to
    // see at 2 mm, as in most sulci of a young brain) to twice the mean.
    sulcHalf = 2.0 * kSulcusHalfMm * std::clamp(0.5 + 0.8 * fold_(1.5 * w[0] - 37.0, 1.5 * w[1], 1.5 * w[2]), 0.0, 1.0);
  }
  const double sulcSd = std::max(g * kFoldMm - sulcHalf, t.depth - sulcDepth);
  const double sulc = pvFraction(sulcSd, pv) * (1.0 - cereb);
  const double rim = pvFraction(t.depth - 0.9, pv);
  const double fissure = pvFraction(std::max(std::abs(p[0]) - 1.4, 24.0 - p[2]), pv) * (1.0 - cereb);
  t.ventSd = sdVentricles(p);
  const double vent = pvFraction(t.ventSd, pv);
  double sylvianGm = 1e9;
  const double sylvian = pvFraction(sdSylvian(p, &sylvianGm), pv) * (1.0 - cereb);
  t.csf = std::min(1.0, std::max({vent, sulc, rim, fissure, sylvian}));
  const double gmSd = std::min({t.depth - cortexMm_,
                                std::max(g * kFoldMm - sulcHalf - kSulcalCortexMm, t.depth - sulcDepth - cortexMm_),
                                sylvianGm});
  const double gm = pvFraction(gmSd, pv);
  const double deep = pvFraction(sdDeep(p), pv);
  const double rest = 1.0 - t.csf;
  t.cereb = rest * cereb;
  t.gm = rest * gm * (1.0 - cereb);
  t.deep = rest * deep * (1.0 - gm) * (1.0 - cereb);
  t.wm = std::max(0.0, rest - t.cereb - t.gm - t.deep);
  // Fractions of the voxel: scale by the brain fraction.
  t.csf *= t.brain;
  t.gm *= t.brain;
  t.deep *= t.brain;
  t.cereb *= t.brain;
  t.wm *= t.brain;
  return t;
}

const char* regionName(int r) {
  switch (r) {
    case kPeriventricular: return "periventricular";
    case kDeepWhiteMatter: return "deep_white_matter";
    case kJuxtacortical: return "juxtacortical_cortical";
    case kPosteriorFossa: return "posterior_fossa";
    case kOtherRegion: return "other";
    default: return "outside_brain";
  }
}

Region Subject::region(const Vec3& u, const Tissue& t) const {
  if (t.brain < 0.5) return kOutside;
  if (sdInfratentorial(u) < 0 && u[2] < -14.0) return kPosteriorFossa;
  const double vent = sdVentricles(u);
  if (vent < 0) return kOtherRegion;
  if (vent < 5.0) return kPeriventricular;
  if (t.gm > 0.2 || t.depth < cortexMm_ + 3.0) return kJuxtacortical;
  // Sulcal CSF or cortex within 3 mm (the tissue model has no distance to sulci: probe around).
  for (int a = 0; a < 3; ++a)
    for (int s : {-1, 1}) {
      Vec3 q = u;
      q[a] += s * 3.0;
      const Tissue n = tissue(q, 1.0);
      if (n.gm > 0.5 * n.brain && n.brain > 0.5) return kJuxtacortical;
    }
  if (sdDeep(u) < 0) return kOtherRegion;
  return kDeepWhiteMatter;
}

bool Subject::inWhiteMatter(const Vec3& p, double margin) const {
  const Tissue c = tissue(p, 0.5);
  if (c.wm < 0.95) return false;
  for (int a = 0; a < 3; ++a)
    for (int s : {-1, 1}) {
      Vec3 q = p;
      q[a] += s * margin;
      if (tissue(q, 0.5).wm < 0.5) return false;
    }
  return true;
}

bool Subject::inInfratentorial(const Vec3& p, double margin) const {
  if (!(sdInfratentorial(p) < -margin && p[2] < -14 - margin * 0.5)) return false;
  return sdVentricles(p) > margin;
}

Vec3 Subject::randomPointIn(Rng& rng, bool infratentorial) const {
  for (int i = 0; i < 10000; ++i) {
    Vec3 p;
    if (infratentorial) {
      p = {rng.uniform(-40, 40), rng.uniform(10, 66), rng.uniform(-58, -16)};
      if (inInfratentorial(p, 2.0)) return p;
    } else {
      p = {rng.uniform(-brainRadii_[0], brainRadii_[0]), rng.uniform(-brainRadii_[1], brainRadii_[1]),
           brainCenter_[2] + rng.uniform(-brainRadii_[2], brainRadii_[2])};
      if (p[2] > -10 && inWhiteMatter(p, 2.0)) return p;
    }
  }
  return {0, -20, 30};  // centrum semiovale: always white matter
}

Vec3 Subject::ventricleSurfacePoint(Rng& rng, Vec3* normal) const {
  const int side = rng.chance(0.5) ? 1 : -1;
  const bool posterior = rng.chance(0.3);
  const Vec3 c = posterior ? Vec3{side * 1.4 * (9.5 + 2.0 * ventScale_), 25, 9} : Vec3{side * (9.5 + 2.0 * ventScale_), -4, 18};
  Vec3 d = rng.unitVector();
  d[1] *= 0.6;  // favour directions perpendicular to the ventricles' long (y) axis
  d = scale(d, 1.0 / len(d));
  double lo = 0, hi = 60;
  for (int i = 0; i < 40; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (sdVentricles(add(c, scale(d, mid))) < 0) lo = mid;
    else hi = mid;
  }
  const Vec3 p = add(c, scale(d, hi));
  const double h = 0.5;
  Vec3 n{sdVentricles(add(p, {h, 0, 0})) - sdVentricles(sub(p, {h, 0, 0})),
         sdVentricles(add(p, {0, h, 0})) - sdVentricles(sub(p, {0, h, 0})),
         sdVentricles(add(p, {0, 0, h})) - sdVentricles(sub(p, {0, 0, h}))};
  const double ln = len(n);
  *normal = ln > 1e-12 ? scale(n, 1.0 / ln) : d;
  return p;
}

Vec3 Subject::juxtacorticalPoint(Rng& rng, double depthMm) const {
  for (int attempt = 0; attempt < 200; ++attempt) {
    Vec3 d = rng.unitVector();
    if (d[2] < -0.2) continue;
    double lo = 0, hi = 120;
    const double target = cortexMm_ + depthMm;
    for (int i = 0; i < 40; ++i) {
      const double mid = 0.5 * (lo + hi);
      if (-sdBrainShape(add(brainCenter_, scale(d, mid))) > target) lo = mid;
      else hi = mid;
    }
    const Vec3 p = add(brainCenter_, scale(d, lo));
    if (tissue(p, 0.5).wm > 0.9) return p;
  }
  return randomPointIn(rng, false);
}

// ---------------------------------------------------------------- rendering

Geometry centredGrid(const Size3& shape, double spacing) {
  Geometry g;
  g.size = shape;
  g.spacing = {spacing, spacing, spacing};
  for (int a = 0; a < 3; ++a) g.origin[a] = -0.5 * (shape[a] - 1) * spacing;
  return g;
}

namespace {

// One voxel's signal before bias field and noise.
struct Signal {
  double flair = 0, t1 = 0, enh = 0;
  double labelFrac = 0;  // largest labelled-blob share of the voxel
};

// Blobs replace tissue (choroid plexus replaces CSF) by their partial-volume share.
// A blob's intensities are multiples of the tissue it replaces (the voxel's non-CSF signal: white matter
// with its texture, cortex, cerebellum), so a lesion is brighter than its own surroundings wherever it is.
void addBlobs(Signal& s, const std::vector<const Blob*>& blobs, const std::vector<std::array<Vec3, 2>>& boxes, const Vec3& u,
              const Tissue& t, double pv) {
  const double tissueShare = t.brain > 0 ? (t.brain - t.csf) : 0.0;  // blobs replace tissue, not CSF
  const double baseFlair = tissueShare > 1e-6 ? (s.flair - t.csf * kFlair.csf) / tissueShare : 1.0;
  const double baseT1 = tissueShare > 1e-6 ? (s.t1 - t.csf * kT1.csf) / tissueShare : 1.0;
  for (size_t b = 0; b < blobs.size(); ++b) {
    const auto& box = boxes[b];
    if (u[0] < box[0][0] || u[1] < box[0][1] || u[2] < box[0][2] || u[0] > box[1][0] || u[1] > box[1][1] ||
        u[2] > box[1][2])
      continue;
    const Blob& bl = *blobs[b];
    const double sd = bl.signedDistance(u);
    const double fo = pvFraction(sd, pv);
    if (fo <= 0) continue;
    const bool isChoroid = !bl.labelled && bl.kind == "choroid_plexus";
    const double share = isChoroid ? t.csf : tissueShare;
    const double w = fo * share;
    if (w <= 0) continue;
    const double fi = bl.ringMm > 0 ? std::min(fo, pvFraction(bl.innerSignedDistance(u), pv)) : fo;
    const double shell = fo - fi;
    // Ring blobs: the wall has the blob's values, the core its core values.
    double bf = bl.ringMm > 0 ? (fi * bl.coreFlair + shell * bl.flair) / fo : bl.flair;
    double bt = bl.ringMm > 0 ? (fi * bl.coreT1 + shell * bl.t1) / fo : bl.t1;
    const double gain = bl.contrastGain(u, sd);
    const double refF = isChoroid ? 1.0 : baseFlair, refT = isChoroid ? 1.0 : baseT1;
    bf = refF * (1.0 + (bf - 1.0) * gain);
    bt = refT * (1.0 + (bt - 1.0) * gain);
    s.flair = (1 - w) * s.flair + w * bf;
    s.t1 = (1 - w) * s.t1 + w * bt;
    s.enh += (bl.ringMm > 0 ? shell * share : w) * bl.enhance;
    if (bl.labelled) s.labelFrac = std::max(s.labelFrac, w);
  }
}

// Vessels (flow void, enhancement), dura and falx remnants at the brain edge.
void addDistractors(Signal& s, const Subject& subject, const ValueNoise& dura, const Vec3& u, const Tissue& t, double pv) {
  for (const auto& v : subject.vessels()) {
    if (std::abs(u[0] - 0.5 * (v.a[0] + v.b[0])) > 16 || std::abs(u[1] - 0.5 * (v.a[1] + v.b[1])) > 16 ||
        std::abs(u[2] - 0.5 * (v.a[2] + v.b[2])) > 16)
      continue;  // segments are at most 25 mm long
    const double dist = segmentDistance(u, v.a, v.b);
    if (dist > v.radius + pv) continue;
    const double f = pvFraction(dist - v.radius, pv);
    s.enh += 0.9 * f;
    s.flair *= 1.0 - 0.6 * f;  // flow void
  }
  // Dura and falx remnants at the brain edge after skull stripping.
  const double du = pvFraction(std::abs(t.sdBrain + 0.6) - 0.6, pv) * (dura(u[0] / 15, u[1] / 15, u[2] / 15) > -0.2);
  const double falx = pvFraction(std::max(std::abs(u[0]) - 0.5, 30.0 - u[2]), pv);
  s.enh += 0.55 * std::max(du, falx);
}

// Skull (dark) and scalp (fat: bright on T1, moderate on FLAIR) outside the brain.
void addSkull(Signal& s, const Tissue& t, double pv) {
  const double outside = -t.sdBrain;  // negative outside
  const double skull = pvFraction(std::max(outside + 2.5, -(outside + 8.0)), pv);
  const double scalp = pvFraction(std::max(outside + 8.0, -(outside + 14.0)), pv);
  const double csfLayer = pvFraction(std::max(outside, -(outside + 2.5)), pv);
  s.flair += (1 - t.brain) * (csfLayer * 0.12 + skull * 0.08 + scalp * 0.9);
  s.t1 += (1 - t.brain) * (csfLayer * 0.2 + skull * 0.1 + scalp * 1.15);
}

// Zero-mean Gaussian noise of standard deviation sigma, one value per voxel of an n-voxel grid.
std::vector<double> whiteNoise(size_t n, double sigma, Rng& rng) {
  std::vector<double> v(n);
  for (auto& x : v) x = rng.normal(0, 1) * sigma;
  return v;
}

}  // namespace

Rendered render(const Subject& subject, const RenderOptions& o) {
  const Geometry& g = o.grid;
  const double pv = (g.spacing[0] + g.spacing[1] + g.spacing[2]) / 3.0;
  Rendered out;
  for (size_t c = 0; c < o.contrasts.size(); ++c) out.images.emplace_back(g, 0.0f);
  out.brainmask = MaskVolume(g, 0);
  out.label = MaskVolume(g, 0);
  out.regions = MaskVolume(g, 0);
  ValueNoise bias(o.seed * 11 + 5), dura(o.seed * 11 + 6);
  Rng noiseRng(o.seed * 11 + 7);
  // Noise fields drawn up front, real and imaginary part per contrast (the voxel loop skips voxels).
  std::vector<std::array<std::vector<double>, 2>> noise(o.contrasts.size());
  const size_t nvox = static_cast<size_t>(g.size[0] * g.size[1] * g.size[2]);
  for (auto& n : noise)
    for (auto& part : n) part = whiteNoise(nvox, o.noiseSigma, noiseRng);
  std::vector<std::array<double, 3>> biasAmp(o.contrasts.size());
  // One bias field per sequence: pre- and post-contrast T1 share theirs, FLAIR has its own.
  for (size_t c = 0; c < o.contrasts.size(); ++c)
    biasAmp[c] = {o.biasStrength, o.contrasts[c] == Contrast::kFlair ? 0.0 : 13.7, 0};

  std::vector<const Blob*> blobs;
  for (const auto& b : o.blobs) blobs.push_back(&b);
  if (o.distractors)
    for (const auto& b : subject.choroid()) blobs.push_back(&b);
  std::vector<std::array<Vec3, 2>> boxes;
  for (const auto* b : blobs) boxes.push_back(b->bounds(2 * pv));

  const int64_t nx = g.size[0], ny = g.size[1], nz = g.size[2];
  std::vector<double> values(o.contrasts.size());
  for (int64_t k = 0; k < nz; ++k)
    for (int64_t j = 0; j < ny; ++j)
      for (int64_t i = 0; i < nx; ++i) {
        const Vec3 q = g.indexToPhysical(static_cast<double>(i), static_cast<double>(j), static_cast<double>(k));
        const Vec3 p = o.gridToAnatomy ? o.gridToAnatomy->applyInverse(q) : q;
        // Far outside the head nothing is drawn: skip the expensive tissue model.
        if (!o.skull && subject.clearlyOutside(p)) continue;
        const Vec3 u = subject.deform(p);
        const Tissue t = subject.tissue(u, pv);
        const size_t idx = out.brainmask.index(i, j, k);
        if (t.brain >= 0.5) {
          out.brainmask.data[idx] = 1;
          out.regions.data[idx] = subject.region(u, t);
        }
        if (t.brain <= 0 && !o.skull) continue;
        Signal s;
        const auto wmGain = subject.whiteMatterGain(u, t);
        const double cg = t.cereb > 0 ? subject.cerebellumGain(u) : 1.0;
        const double gg = t.gm > 0 ? subject.greyMatterGain(u) : 1.0;
        s.flair = t.wm * kFlair.wm * wmGain[0] + t.gm * kFlair.gm * gg + t.deep * kFlair.deep + t.cereb * kFlair.cereb * cg +
                  t.csf * kFlair.csf;
        s.t1 = t.wm * kT1.wm * wmGain[1] + t.gm * kT1.gm + t.deep * kT1.deep + t.cereb * kT1.cereb / cg + t.csf * kT1.csf;
        addBlobs(s, blobs, boxes, u, t, pv);
        if (s.labelFrac >= 0.5 && t.brain >= 0.5) out.label.data[idx] = 1;
        if (o.distractors && t.brain > 0) {
          addDistractors(s, subject, dura, u, t, pv);
        }
        if (o.skull && t.brain < 1) {
          addSkull(s, t, pv);
        }
        for (size_t c = 0; c < o.contrasts.size(); ++c) {
          double v = 0;
          switch (o.contrasts[c]) {
            case Contrast::kFlair: v = s.flair; break;
            case Contrast::kT1: v = s.t1; break;
            case Contrast::kT1Post: v = s.t1 + s.enh; break;
          }
          // Bias field in scanner coordinates (q), different per contrast.
          const double b = std::exp(o.biasStrength * bias(q[0] / 70 + biasAmp[c][1], q[1] / 70, q[2] / 70));
          values[c] = v * b;
        }
        for (size_t c = 0; c < o.contrasts.size(); ++c) {
          // Rician noise: magnitude of a complex signal with Gaussian noise on both parts.
          const double re = values[c] + noise[c][0][idx], im = noise[c][1][idx];
          const bool inside = o.skull ? true : t.brain > 0;
          out.images[c].data[idx] = inside ? static_cast<float>(o.gain * std::sqrt(re * re + im * im) * (o.skull ? 1.0 : t.brain > 0.5 ? 1.0 : t.brain * 2)) : 0.0f;
        }
      }
  // Skull-stripped images are zero outside the brain mask, as after BET/HD-BET.
  if (!o.skull)
    for (auto& img : out.images)
      for (size_t i = 0; i < img.data.size(); ++i)
        if (!out.brainmask.data[i]) img.data[i] = 0.0f;
  return out;
}

}  // namespace mst::synth
