#include "lib/preprocess/Preprocess.h"

#include <itkAffineTransform.h>
#include <itkBSplineControlPointImageFilter.h>
#include <itkBSplineInterpolateImageFunction.h>
#include <itkIdentityTransform.h>
#include <itkLinearInterpolateImageFunction.h>
#include <itkMultiThreaderBase.h>
#include <itkN4BiasFieldCorrectionImageFilter.h>
#include <itkNearestNeighborInterpolateImageFunction.h>
#include <itkResampleImageFilter.h>
#include <itkShrinkImageFilter.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "lib/core/Error.h"
#include "lib/io/ItkBridge.h"
#include "lib/io/Nifti.h"
#include "lib/io/Transform.h"
#include "lib/preprocess/Resample.h"

namespace mst::preprocess {

void setThreads(int threads) { itk::MultiThreaderBase::SetGlobalDefaultNumberOfThreads(std::max(1, threads)); }





namespace {

using FloatImage = itk::Image<float, 3>;
using MaskImage = itk::Image<uint8_t, 3>;

// Resamples `src` onto `target`; the transform maps target points into src (ITK convention).
template <class PixelT>
Volume<PixelT> resampleItk(const Volume<PixelT>& src, const Geometry& target, const io::AffineTransform* t,
                           const std::string& interp) {
  using ImageT = itk::Image<PixelT, 3>;
  auto in = io::toItk(src);
  auto filter = itk::ResampleImageFilter<ImageT, ImageT>::New();
  filter->SetInput(in);
  auto ref = ImageT::New();
  io::applyGeometry(ref.GetPointer(), target);
  filter->SetOutputParametersFromImage(ref);
  filter->SetDefaultPixelValue(0);
  if (t) {
    auto tr = itk::AffineTransform<double, 3>::New();
    itk::AffineTransform<double, 3>::MatrixType m;
    itk::AffineTransform<double, 3>::OutputVectorType o;
    for (int r = 0; r < 3; ++r) {
      for (int c = 0; c < 3; ++c) m(r, c) = t->matrix[3 * r + c];
      o[r] = t->offset[r];
    }
    tr->SetMatrix(m);
    tr->SetOffset(o);
    filter->SetTransform(tr);
  }
  if (interp == "nearest") {
    filter->SetInterpolator(itk::NearestNeighborInterpolateImageFunction<ImageT, double>::New());
  } else if (interp == "bspline") {
    auto b = itk::BSplineInterpolateImageFunction<ImageT, double, double>::New();
    b->SetSplineOrder(3);
    filter->SetInterpolator(b);
  } else {
    filter->SetInterpolator(itk::LinearInterpolateImageFunction<ImageT, double>::New());
  }
  filter->Update();
  return io::fromItk<PixelT>(filter->GetOutput());
}

FloatVolume n4Correct(const FloatVolume& img, const MaskVolume& mask) {
  // N4 on a 2x-shrunk copy, then the fitted field is applied at full resolution.
  auto in = io::toItk(img);
  auto mk = io::toItk(mask);
  auto shrinkI = itk::ShrinkImageFilter<FloatImage, FloatImage>::New();
  auto shrinkM = itk::ShrinkImageFilter<MaskImage, MaskImage>::New();
  shrinkI->SetInput(in);
  shrinkM->SetInput(mk);
  shrinkI->SetShrinkFactors(2);
  shrinkM->SetShrinkFactors(2);
  auto n4 = itk::N4BiasFieldCorrectionImageFilter<FloatImage, MaskImage, FloatImage>::New();
  n4->SetInput(shrinkI->GetOutput());
  n4->SetMaskImage(shrinkM->GetOutput());
  n4->SetMaskLabel(1);
  itk::N4BiasFieldCorrectionImageFilter<FloatImage, MaskImage, FloatImage>::VariableSizeArrayType iters(3);
  iters.Fill(30);
  n4->SetMaximumNumberOfIterations(iters);
  n4->SetNumberOfFittingLevels(3);
  n4->Update();
  // Evaluate the fitted log bias field (B-spline lattice) on the full-resolution grid.
  using N4 = itk::N4BiasFieldCorrectionImageFilter<FloatImage, MaskImage, FloatImage>;
  using BSpliner = itk::BSplineControlPointImageFilter<N4::BiasFieldControlPointLatticeType, N4::ScalarImageType>;
  auto bspliner = BSpliner::New();
  bspliner->SetInput(n4->GetLogBiasFieldControlPointLattice());
  bspliner->SetSplineOrder(n4->GetSplineOrder());
  bspliner->SetSize(in->GetLargestPossibleRegion().GetSize());
  bspliner->SetOrigin(in->GetOrigin());
  bspliner->SetDirection(in->GetDirection());
  bspliner->SetSpacing(in->GetSpacing());
  bspliner->Update();
  const auto* field = bspliner->GetOutput()->GetBufferPointer();
  FloatVolume out = img;
  for (size_t i = 0; i < out.data.size(); ++i) out.data[i] = static_cast<float>(out.data[i] / std::exp(field[i][0]));
  return out;
}

Geometry resampledGeometry(const Geometry& g, const Vec3& target) {
  Geometry out = g;
  for (int a = 0; a < 3; ++a) {
    if (target[a] <= 0) continue;
    const double extent = g.size[a] * g.spacing[a];
    out.size[a] = std::max<int64_t>(1, std::llround(extent / target[a]));
    out.spacing[a] = target[a];
  }
  // Keep the outer edge of the field of view: first voxel centre moves by (new - old) / 2 spacing.
  const Vec3 shiftIdx{(out.spacing[0] - g.spacing[0]) / (2 * g.spacing[0]),
                      (out.spacing[1] - g.spacing[1]) / (2 * g.spacing[1]),
                      (out.spacing[2] - g.spacing[2]) / (2 * g.spacing[2])};
  out.origin = g.indexToPhysical(shiftIdx[0], shiftIdx[1], shiftIdx[2]);
  return out;
}

template <class T>
Volume<T> cropVolume(const Volume<T>& v, const std::array<int64_t, 3>& start, const Size3& size) {
  Geometry g = v.geom;
  g.size = size;
  g.origin = v.geom.indexToPhysical(static_cast<double>(start[0]), static_cast<double>(start[1]),
                                    static_cast<double>(start[2]));
  Volume<T> out(g);
  for (int64_t k = 0; k < size[2]; ++k)
    for (int64_t j = 0; j < size[1]; ++j)
      for (int64_t i = 0; i < size[0]; ++i) out.at(i, j, k) = v.at(i + start[0], j + start[1], k + start[2]);
  return out;
}

}  // namespace

namespace {

// Brain-mask bounding box plus margin: the crop start and size (x, y, z).
std::pair<std::array<int64_t, 3>, Size3> cropBox(const MaskVolume& brain, int margin, const std::string& id) {
  std::array<int64_t, 3> mn{brain.nx(), brain.ny(), brain.nz()}, mx{-1, -1, -1};
  for (int64_t k = 0; k < brain.nz(); ++k)
    for (int64_t j = 0; j < brain.ny(); ++j)
      for (int64_t i = 0; i < brain.nx(); ++i)
        if (brain.at(i, j, k)) {
          const int64_t idx[3] = {i, j, k};
          for (int a = 0; a < 3; ++a) {
            mn[a] = std::min(mn[a], idx[a]);
            mx[a] = std::max(mx[a], idx[a]);
          }
        }
  if (mx[0] < 0) throw InputError("study '" + id + "': brain mask (or image) is empty, nothing to crop to");
  std::array<int64_t, 3> lo{0, 0, 0};
  Size3 size{0, 0, 0};
  for (int a = 0; a < 3; ++a) {
    lo[a] = std::max<int64_t>(0, mn[a] - margin);
    const int64_t hi = std::min<int64_t>(brain.geom.size[a] - 1, mx[a] + margin);
    size[a] = hi - lo[a] + 1;
  }
  return {lo, size};
}

// z-score inside the brain mask after clipping to percentiles; zero outside. Returns (mean, sd).
std::array<double, 2> zscore(FloatVolume& c, const MaskVolume& brain, double clipLow, double clipHigh, const std::string& id) {
  std::vector<float> in;
  for (size_t i = 0; i < c.data.size(); ++i)
    if (brain.data[i]) in.push_back(c.data[i]);
  if (in.empty()) throw InputError("study '" + id + "': brain mask is empty");
  auto pct = [&](double q) {
    std::vector<float> tmp = in;
    const size_t k = std::min(tmp.size() - 1, static_cast<size_t>(q / 100.0 * (tmp.size() - 1) + 0.5));
    std::nth_element(tmp.begin(), tmp.begin() + k, tmp.end());
    return tmp[k];
  };
  const float lo = pct(clipLow), hi = pct(clipHigh);
  double s = 0, s2 = 0;
  for (float& x : in) {
    x = std::clamp(x, lo, hi);
    s += x;
    s2 += static_cast<double>(x) * x;
  }
  const double mean = s / in.size();
  const double sd = std::sqrt(std::max(1e-12, s2 / in.size() - mean * mean));
  for (size_t i = 0; i < c.data.size(); ++i)
    c.data[i] = brain.data[i] ? static_cast<float>((std::clamp(c.data[i], lo, hi) - mean) / sd) : 0.0f;
  return {mean, sd};
}

// Step 1: the channels, label and brain mask on the reference grid.
void readOntoReference(const io::StudyRow& row, const PreprocessConfig& cfg, Study& st) {
  for (const auto& name : cfg.channels) {
    const auto* p = row.channel(name);
    if (!p) throw InputError("study '" + row.id() + "': no channel '" + name + "' in the manifest");
    st.channels.push_back(io::readImage(*p));
  }
  const Geometry reference = row.reference.empty() ? st.channels.front().geom : io::readImageInfo(row.reference).geom;
  for (size_t c = 0; c < st.channels.size(); ++c) {
    auto it = row.transforms.find(cfg.channels[c]);
    if (it != row.transforms.end()) {
      const io::AffineTransform t = io::readTransform(it->second);
      st.channels[c] = resampleItk(st.channels[c], reference, &t, cfg.interpolation);
    } else if (!st.channels[c].geom.sameGrid(reference)) {
      st.channels[c] = resampleItk(st.channels[c], reference, nullptr, cfg.interpolation);
    }
  }
  auto maskOnReference = [&](const std::filesystem::path& p) {
    MaskVolume m = io::readMask(p);
    if (!m.geom.sameGrid(reference)) m = resampleItk(m, reference, nullptr, "nearest");
    return m;
  };
  if (!row.label.empty()) st.label = maskOnReference(row.label);
  if (!row.brainmask.empty()) {
    st.brainmask = maskOnReference(row.brainmask);
  } else {
    st.brainmask = MaskVolume(reference, 0);
    for (const auto& c : st.channels)
      for (size_t i = 0; i < c.data.size(); ++i) st.brainmask.data[i] |= c.data[i] != 0.0f;
  }
  st.mapping.reference = reference;
}

}  // namespace

Study preprocessStudy(const io::StudyRow& row, const PreprocessConfig& cfg) {
  Study st;
  st.subject = row.subject;
  st.session = row.session;
  readOntoReference(row, cfg, st);  // 1.
  auto& chans = st.channels;
  MaskVolume& label = st.label;
  MaskVolume& brain = st.brainmask;
  // 2. N4.
  if (cfg.n4)
    for (auto& c : chans) c = n4Correct(c, brain);
  // 3. Canonical orientation.
  if (cfg.reorient) {
    for (auto& c : chans) c = reorientCanonical(c);
    if (!label.data.empty()) label = reorientCanonical(label);
    brain = reorientCanonical(brain);
  }
  // 4. Target spacing.
  const Geometry target = resampledGeometry(brain.geom, cfg.targetSpacingMm);
  if (!target.sameGrid(brain.geom)) {
    for (auto& c : chans) c = resampleItk(c, target, nullptr, cfg.interpolation);
    if (!label.data.empty()) label = resampleItk(label, target, nullptr, "nearest");
    brain = resampleItk(brain, target, nullptr, "nearest");
  }
  st.mapping.resampled = brain.geom;
  // 5. Crop to the brain bounding box plus margin.
  if (cfg.crop) {
    const auto [lo, size] = cropBox(brain, cfg.cropMarginVoxels, row.id());
    for (auto& c : chans) c = cropVolume(c, lo, size);
    if (!label.data.empty()) label = cropVolume(label, lo, size);
    brain = cropVolume(brain, lo, size);
    st.mapping.cropStart = lo;
  }
  st.mapping.final = brain.geom;
  // 6. Normalisation inside the brain mask.
  for (auto& c : chans)
    st.normalization.push_back(cfg.normalization == "zscore" ? zscore(c, brain, cfg.clipLow, cfg.clipHigh, row.id())
                                                             : std::array<double, 2>{0, 1});
  return st;
}

FloatVolume toReference(const FloatVolume& onFinal, const GridMapping& m, bool linear) {
  return resampleOnto(onFinal, m.reference, linear, 0.0f);
}

MaskVolume toReference(const MaskVolume& onFinal, const GridMapping& m) {
  return resampleOnto<uint8_t>(onFinal, m.reference, false, 0);
}

}  // namespace mst::preprocess
