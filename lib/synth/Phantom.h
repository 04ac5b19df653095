// Brain-MRI phantoms: a subject's anatomy as analytic shapes, pathology as
// blobs, rendered to FLAIR, T1 and post-contrast T1 on any grid.
//
// Coordinates are millimetres in an anatomical frame centred in the head:
// +x left, +y posterior, +z superior (ITK's LPS). A smooth random
// deformation maps every subject's anatomy (and its lesions) away from the
// template, so subjects differ in shape as well as in pathology.
//
// What is modelled: skull-stripped brain (optional skull and scalp) with
// folded cortex and sulcal CSF (sulci of varying depth), the Sylvian fissure
// and insula, white matter, deep grey nuclei, lateral,
// third and fourth ventricles, cerebellum and brainstem, interhemispheric
// fissure; partial volume at every edge; multiplicative bias field; Rician
// noise; scanner gain. Pathologies are irregular ellipsoids (solid or ring)
// with per-contrast intensity and enhancement; vessels, choroid plexus,
// dura and falx enhance on post-contrast T1 as distractors.
// What is not: real gyral topology, tissue texture beyond noise, motion,
// flow and susceptibility artefacts, mass effect of tumours.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "lib/core/Volume.h"
#include "lib/synth/Noise.h"

namespace mst::synth {

enum class Contrast { kFlair, kT1, kT1Post };
const char* contrastName(Contrast c);

// A pathology: an irregular ellipsoid, solid or ring-shaped.
struct Blob {
  Vec3 center{0, 0, 0};
  Vec3 radii{1, 1, 1};                          // semi-axes, mm
  std::array<double, 9> axes{1, 0, 0, 0, 1, 0, 0, 0, 1};  // columns: unit axis directions
  double irregularity = 0.15;                   // relative radius modulation
  uint64_t noiseSeed = 1;
  double flair = 1.0, t1 = 1.0;                 // intensity as a multiple of white matter
  double enhance = 0.0;                         // post-contrast gain, multiple of WM T1
  double ringMm = 0.0;                          // > 0: ring of this thickness; core gets core* values
  double coreFlair = 1.0, coreT1 = 1.0;
  // MS lesions as measured on real FLAIR (bench/synth_realism.py): fainter towards the edge and
  // heterogeneous inside. The blob's deviation from white matter (flair - 1, t1 - 1) is scaled by
  // contrastGain(): 1 - rim at the boundary rising to 1 at half the smallest radius inside, times
  // 1 + heterogeneity * smooth noise (2 mm scale). 0, 0: uniform (pathologies other than MS).
  double rim = 0.0, heterogeneity = 0.0;
  bool labelled = true;
  std::string kind;

  double signedDistance(const Vec3& p) const;   // mm, approximate, negative inside
  double innerSignedDistance(const Vec3& p) const;  // of the core (ring lesions)
  double contrastGain(const Vec3& p, double signedDistance) const;
  std::array<Vec3, 2> bounds(double margin) const;
  double diameterMm() const { return 2.0 * std::cbrt(radii[0] * radii[1] * radii[2]); }
};

// Oriented so that its first axis points along `dir`.
std::array<double, 9> axesAlong(const Vec3& dir, Rng& rng);

struct Vessel {
  Vec3 a, b;
  double radius = 0.8;
};

// Anatomical region of a brain voxel, as lesion locations are reported in MS
// (McDonald criteria): where false-positive lesions fall (report fp_regions.csv).
enum Region : uint8_t {
  kOutside = 0,
  kPeriventricular = 1,  // within 5 mm of a lateral/third ventricle (supratentorial)
  kDeepWhiteMatter = 2,  // other supratentorial white matter
  kJuxtacortical = 3,    // cortex, sulcal CSF, and white matter within 3 mm of them
  kPosteriorFossa = 4,   // cerebellum, brainstem, fourth ventricle
  kOtherRegion = 5,      // deep grey nuclei and ventricular CSF
};
const char* regionName(int region);

// Tissue fractions at a point (sum of csf, gm, wm = brain).
struct Tissue {
  double brain = 0, csf = 0, gm = 0, deep = 0, cereb = 0, wm = 0;
  double sdBrain = 0;  // signed distance to the brain surface, mm
  double depth = 0;    // distance below the cortical surface, mm (approximate)
  double ventSd = 1e9; // signed distance to the ventricles, mm
};

class Subject {
 public:
  Subject(uint64_t seed, double atrophy);
  Tissue tissue(const Vec3& anatomical, double pvWidth) const;
  Vec3 deform(const Vec3& p) const;  // subject frame -> template frame (where anatomy is defined)
  bool clearlyOutside(const Vec3& p) const;  // conservative: no brain within reach of the deformation
  // Region of template point u whose tissue (any partial-volume width) is t.
  Region region(const Vec3& u, const Tissue& t) const;
  // Placement helpers, in the template frame.
  bool inWhiteMatter(const Vec3& p, double marginMm) const;
  bool inInfratentorial(const Vec3& p, double marginMm) const;
  Vec3 randomPointIn(Rng& rng, bool infratentorial) const;     // rejection sampled WM point
  Vec3 ventricleSurfacePoint(Rng& rng, Vec3* outwardNormal) const;
  Vec3 juxtacorticalPoint(Rng& rng, double depthMm) const;
  // White matter's FLAIR and T1 intensity at template point u, relative to the tissue's nominal value:
  // smooth texture (about +-3 % at a 4-8 mm scale, as fibre tracts and myelination differ) and, on
  // FLAIR, the normal periventricular hyperintensity (ependymal rim and caps at the horns, unlabelled).
  std::array<double, 2> whiteMatterGain(const Vec3& u, const Tissue& t) const;
  double greyMatterGain(const Vec3& u) const;   // the subject's grey-white contrast and regional cortical FLAIR brightness
  double cerebellumGain(const Vec3& u) const;  // folia texture of the cerebellum (FLAIR; T1 takes 1 / it)
  const std::vector<Vessel>& vessels() const { return vessels_; }
  const std::vector<Blob>& choroid() const { return choroid_; }

 private:
  double sdVentricles(const Vec3& p) const;
  double sdBrainShape(const Vec3& p) const;
  double sdDeep(const Vec3& p) const;
  double sdInfratentorial(const Vec3& p) const;
  // Sylvian fissure and insula: signed distance to their CSF; *gmSd to the insular and opercular cortex.
  double sdSylvian(const Vec3& p, double* gmSd) const;

  uint64_t seed_;
  Vec3 brainRadii_, brainCenter_;
  double ventScale_, cortexMm_;
  ValueNoise fold_, surface_, deformNoise_, texture_;
  double deformAmp_, textureAmp_ = 0, capAmp_ = 0, gmAmp_ = 0;
  double insulaX_ = 37, insulaY_ = -6, insulaZ_ = 8, fissureSlope_ = 0.2, gmContrast_ = 1.0;
  std::vector<Vessel> vessels_;
  std::vector<Blob> choroid_;
};

// A rigid transform p -> R p + t (mm).
struct Rigid {
  std::array<double, 9> r{1, 0, 0, 0, 1, 0, 0, 0, 1};
  Vec3 t{0, 0, 0};
  Vec3 apply(const Vec3& p) const;
  Vec3 applyInverse(const Vec3& q) const;
};

struct RenderOptions {
  Geometry grid;
  std::vector<Contrast> contrasts;
  std::vector<Blob> blobs;
  bool distractors = false;       // vessels, choroid plexus, dura, falx on post-contrast T1
  bool skull = false;
  std::optional<Rigid> gridToAnatomy;  // render the phantom moved: voxel q shows anatomy at T^-1(q)
  double noiseSigma = 0.03;       // Rician sigma, multiple of WM intensity
  double biasStrength = 0.15;     // log-amplitude of the bias field
  double gain = 1000.0;
  uint64_t seed = 1;              // noise and bias field
};

struct Rendered {
  std::vector<FloatVolume> images;  // one per contrast
  MaskVolume brainmask;
  MaskVolume label;                 // labelled blobs
  MaskVolume regions;               // Region of each brain-mask voxel (0 outside)
};

Rendered render(const Subject& subject, const RenderOptions& options);

// Geometry centred on the origin with identity direction.
Geometry centredGrid(const Size3& shape, double spacingMm);

}  // namespace mst::synth
