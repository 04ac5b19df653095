// Pure C++ resampling between grids in physical space (no ITK): used to
// place predictions back on their original grid and by the canonical
// reorientation. Nearest neighbour or trilinear; points outside the source
// are `outside`.
#pragma once

#include "lib/core/Volume.h"

namespace mst::preprocess {

template <class T>
Volume<T> resampleOnto(const Volume<T>& src, const Geometry& target, bool linear, T outside = T{});

// Exact axis permutation/flip so that the direction is the signed
// permutation closest to identity (identity for axis-aligned images).
template <class T>
Volume<T> reorientCanonical(const Volume<T>& src);

}  // namespace mst::preprocess
