// Conversion between mst::Volume and itk::Image. ITK types: include only
// from .cpp files of io/ and preprocess/.
#pragma once

#include <itkImage.h>

#include <algorithm>

#include "lib/core/Volume.h"

namespace mst::io {

template <class ImageT>
Geometry geometryOf(const ImageT* img) {
  Geometry g;
  const auto region = img->GetLargestPossibleRegion();
  for (int d = 0; d < 3; ++d) {
    g.size[d] = static_cast<int64_t>(region.GetSize()[d]);
    g.spacing[d] = img->GetSpacing()[d];
    g.origin[d] = img->GetOrigin()[d];
  }
  const auto& dir = img->GetDirection();
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) g.direction[3 * r + c] = dir(r, c);
  return g;
}

template <class ImageT>
void applyGeometry(ImageT* img, const Geometry& g) {
  typename ImageT::RegionType region;
  typename ImageT::SizeType size;
  typename ImageT::SpacingType spacing;
  typename ImageT::PointType origin;
  typename ImageT::DirectionType dir;
  for (int d = 0; d < 3; ++d) {
    size[d] = static_cast<itk::SizeValueType>(g.size[d]);
    spacing[d] = g.spacing[d];
    origin[d] = g.origin[d];
  }
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) dir(r, c) = g.direction[3 * r + c];
  region.SetSize(size);
  img->SetRegions(region);
  img->SetSpacing(spacing);
  img->SetOrigin(origin);
  img->SetDirection(dir);
}

template <class PixelT>
typename itk::Image<PixelT, 3>::Pointer toItk(const Volume<PixelT>& v) {
  auto img = itk::Image<PixelT, 3>::New();
  applyGeometry(img.GetPointer(), v.geom);
  img->Allocate();
  std::copy(v.data.begin(), v.data.end(), img->GetBufferPointer());
  return img;
}

template <class PixelT>
Volume<PixelT> fromItk(const itk::Image<PixelT, 3>* img) {
  Volume<PixelT> v;
  v.geom = geometryOf(img);
  const PixelT* buf = img->GetBufferPointer();
  v.data.assign(buf, buf + v.geom.numVoxels());
  return v;
}

}  // namespace mst::io
