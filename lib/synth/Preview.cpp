#include <algorithm>
#include <cmath>
#include <vector>

#include "lib/core/Png.h"
#include "lib/synth/Synth.h"

namespace mst::synth {

void writePreview(const Study& st, const std::filesystem::path& png) {
  const auto& g = st.label.geom;
  const int64_t nx = g.size[0], ny = g.size[1], nz = g.size[2];
  // Axial slice with most label voxels among those that cut the brain broadly (at least 60 % of
  // its largest axial area: the cerebrum, not the skull base or the cerebellum alone); the
  // broadest slice when none of them holds a label.
  std::vector<int64_t> area(static_cast<size_t>(nz), 0), labelled(static_cast<size_t>(nz), 0);
  for (int64_t k = 0; k < nz; ++k)
    for (int64_t j = 0; j < ny; ++j)
      for (int64_t i = 0; i < nx; ++i) {
        area[static_cast<size_t>(k)] += st.brainmask.at(i, j, k) ? 1 : 0;
        labelled[static_cast<size_t>(k)] += st.label.at(i, j, k) ? 1 : 0;
      }
  const auto broadest = std::max_element(area.begin(), area.end());
  int64_t best = broadest - area.begin(), bestCount = 0;
  for (int64_t k = 0; k < nz; ++k) {
    const auto z = static_cast<size_t>(k);
    if (10 * area[z] >= 6 * *broadest && labelled[z] > bestCount) {
      bestCount = labelled[z];
      best = k;
    }
  }
  const int zoom = nx < 128 ? 3 : 2;
  const int panelW = static_cast<int>(nx) * zoom, panelH = static_cast<int>(ny) * zoom, gap = 4;
  const int panels = static_cast<int>(st.channels.size()) * 2;  // each channel plain and with the outline
  RgbImage img(panels * panelW + (panels - 1) * gap, panelH);
  for (size_t c = 0; c < st.channels.size(); ++c) {
    const FloatVolume& v = st.channels[c].second;
    std::vector<float> vals;
    for (int64_t j = 0; j < ny; ++j)
      for (int64_t i = 0; i < nx; ++i)
        if (st.brainmask.at(i, j, best)) vals.push_back(v.at(i, j, best));
    float hi = 1.0f;
    if (!vals.empty()) {
      std::nth_element(vals.begin(), vals.begin() + vals.size() * 99 / 100, vals.end());
      hi = std::max(1e-6f, vals[vals.size() * 99 / 100]);
    }
    for (int withOutline = 0; withOutline < 2; ++withOutline) {
      const int x0 = static_cast<int>(2 * c + withOutline) * (panelW + gap);
      for (int64_t j = 0; j < ny; ++j)
        for (int64_t i = 0; i < nx; ++i) {
          const auto grey = static_cast<uint8_t>(std::clamp(v.at(i, j, best) / hi * 255.0f, 0.0f, 255.0f));
          bool edge = false;
          if (withOutline && st.label.at(i, j, best)) {
            for (auto [di, dj] : {std::pair<int, int>{1, 0}, {-1, 0}, {0, 1}, {0, -1}}) {
              const int64_t a = i + di, b = j + dj;
              if (a < 0 || b < 0 || a >= nx || b >= ny || !st.label.at(a, b, best)) edge = true;
            }
          }
          for (int dy = 0; dy < zoom; ++dy)
            for (int dx = 0; dx < zoom; ++dx) {
              const int x = x0 + static_cast<int>(i) * zoom + dx, y = static_cast<int>(j) * zoom + dy;
              if (edge) img.set(x, y, 255, 40, 40);
              else img.set(x, y, grey, grey, grey);
            }
        }
    }
  }
  writePng(png, img);
}

}  // namespace mst::synth
