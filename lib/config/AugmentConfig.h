// Data augmentation of training patches (see lib/cache/Augment.h).
#pragma once

#include <string>

#include "lib/config/Fields.h"

namespace mst::cache {

struct AugmentConfig {
  bool enabled = true;
  double flipProb = 0.5;                 // per axis
  double rotateProb = 0.2, maxRotateDeg = 15.0;
  double scaleProb = 0.2, scaleMin = 0.85, scaleMax = 1.15;
  // Brightness: multiply by U(intensity_scale) and add U(intensity_shift). Contrast: scale the deviations
  // from the patch mean by U(contrast_range), clipped to the patch's range. nnU-Net's are intensity_prob
  // 0.15 with intensity_scale [0.75, 1.25] and contrast_prob 0.15 with contrast_range [0.75, 1.25]; they
  // did not help the sim-to-real check (docs/SYNTH.md), so the defaults stay the project's earlier ones.
  double intensityProb = 0.3, intensityScaleMin = 0.9, intensityScaleMax = 1.1;
  double intensityShiftMin = -0.1, intensityShiftMax = 0.1;
  double contrastProb = 0.0, contrastMin = 0.75, contrastMax = 1.25;
  double gammaProb = 0.2, gammaMin = 0.7, gammaMax = 1.5;
  double noiseProb = 0.15, noiseMaxSigma = 0.1;
  // nnU-Net's defaults: Gaussian blur (sigma in voxels) and simulated low resolution (downsample by a
  // factor in zoom_range, nearest, then back up, linear): images differ in sharpness between scanners.
  double blurProb = 0.2, blurMin = 0.5, blurMax = 1.0;
  double lowResProb = 0.25, zoomMin = 0.5, zoomMax = 1.0;

  void validate(const std::string& where) const;  // throws InputError naming the field

  template <class V>
  void fields(V& v) {
    v("enabled", enabled);
    v("flip_prob", flipProb);
    v("rotate_prob", rotateProb);
    v("max_rotate_deg", maxRotateDeg);
    v("scale_prob", scaleProb);
    v.pair("scale_range", scaleMin, scaleMax);
    v("intensity_prob", intensityProb);
    v.pair("intensity_scale", intensityScaleMin, intensityScaleMax);
    v.pair("intensity_shift", intensityShiftMin, intensityShiftMax);
    v("contrast_prob", contrastProb);
    v.pair("contrast_range", contrastMin, contrastMax);
    v("gamma_prob", gammaProb);
    v.pair("gamma_range", gammaMin, gammaMax);
    v("noise_prob", noiseProb);
    v("noise_max_sigma", noiseMaxSigma);
    v("blur_prob", blurProb);
    v.pair("blur_sigma", blurMin, blurMax);
    v("low_res_prob", lowResProb);
    v.pair("zoom_range", zoomMin, zoomMax);
  }
};

}  // namespace mst::cache
