#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <fstream>
#include <iterator>

#include "lib/core/Error.h"
#include "lib/io/Manifest.h"
#include "lib/synth/Phantom.h"
#include "lib/synth/Synth.h"
#include "tests/support/TestSupport.h"

using namespace mst;
namespace fs = std::filesystem;

namespace {
// A coarse grid with the demo field of view keeps the tests fast.
synth::CohortOptions small(const std::string& cohort, int count = 3, uint64_t seed = 5) {
  synth::CohortOptions o;
  o.cohort = cohort;
  o.count = count;
  o.seed = seed;
  o.shape = {48, 58, 48};
  o.spacingMm = 3.33;
  return o;
}
std::string bytes(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}
double meanAt(const FloatVolume& v, const MaskVolume& m) {
  double s = 0;
  int64_t n = 0;
  for (size_t i = 0; i < v.data.size(); ++i)
    if (m.data[i]) {
      s += v.data[i];
      ++n;
    }
  return n ? s / n : 0.0;
}
int64_t count(const MaskVolume& m) {
  int64_t n = 0;
  for (auto x : m.data) n += x;
  return n;
}
}  // namespace

TEST(SynthCohort, SameSeedGivesByteIdenticalFilesWhateverTheThreadCount) {
  test::TempDir a, b;
  auto o = small("ms_longitudinal", 3);
  o.threads = 1;
  synth::generateCohort(o, a.path(), false);
  o.threads = 2;
  synth::generateCohort(o, b.path(), false);
  int compared = 0;
  for (const auto& e : fs::directory_iterator(a / "ms_longitudinal")) {
    if (e.path().filename() == "cohort.json") continue;  // holds the git commit
    EXPECT_EQ(bytes(e.path()), bytes(b / "ms_longitudinal" / e.path().filename())) << e.path();
    ++compared;
  }
  EXPECT_EQ(compared, 3 * 6 + 2);  // per study: 2 channels, label, mask, regions, transform; + manifest, lesions.csv
  auto other = small("ms_longitudinal", 1, 6);
  EXPECT_NE(synth::makeStudy(other, 0).channels[1].second.data, synth::makeStudy(small("ms_longitudinal"), 0).channels[1].second.data);
}

TEST(SynthCohort, EveryCohortWritesAManifestThatPassesTheCheck) {
  test::TempDir d;
  for (const auto& c : synth::cohortInfo()) {
    auto manifest = synth::generateCohort(small(c.name, 2), d.path(), false);
    io::Manifest m = io::readManifest(manifest);
    EXPECT_EQ(m.channels, c.channels) << c.name;
    auto rep = io::checkManifest(m);
    EXPECT_TRUE(rep.ok()) << c.name << ": " << (rep.problems.empty() ? "" : rep.problems[0]);
    EXPECT_EQ(m.rows.size(), 2u);
  }
}

TEST(SynthCohort, LabelsAreBinaryAndInsideTheBrainMask) {
  for (const auto& c : synth::cohortInfo()) {
    for (int i = 0; i < 3; ++i) {
      synth::Study st = synth::makeStudy(small(c.name), i);
      for (size_t v = 0; v < st.label.data.size(); ++v) {
        ASSERT_LE(st.label.data[v], 1) << c.name;
        if (st.label.data[v]) ASSERT_EQ(st.brainmask.data[v], 1) << c.name << " study " << i;
      }
      for (const auto& ch : st.channels)
        EXPECT_TRUE(ch.second.geom.sameGrid(st.label.geom)) << c.name;
    }
  }
}

TEST(SynthCohort, NewLesionsAreAbsentOnThePriorVisitAndPresentOnTheLater) {
  auto o = small("ms_longitudinal", 24);
  o.longitudinalMode = "register";  // prior resampled into register, so voxels correspond
  int withNew = 0;
  for (int i = 0; i < o.count; ++i) {
    synth::Study st = synth::makeStudy(o, i);
    // At this test grid's 3.33 mm a new lesion of 3-12 mm is a few voxels, each mostly its surroundings
    // (bright cortex beside juxtacortical ones): studies with fewer than 6 new-lesion voxels are not
    // a measurement of the lesions.
    if (count(st.label) < 6) continue;
    ++withNew;
    const auto& prior = st.channels[0].second;
    const auto& later = st.channels[1].second;
    // Normal-appearing reference: the brain outside the label in the anatomical regions the new
    // lesions lie in (posterior fossa, cortex and deep white matter differ in FLAIR brightness).
    std::array<bool, 8> lesionRegion{};
    for (size_t v = 0; v < st.label.data.size(); ++v)
      if (st.label.data[v]) lesionRegion[st.regions.data[v] & 7] = true;
    MaskVolume rest = st.brainmask;
    for (size_t v = 0; v < rest.data.size(); ++v)
      rest.data[v] &= !st.label.data[v] && lesionRegion[st.regions.data[v] & 7];
    const double priorRatio = meanAt(prior, st.label) / meanAt(prior, rest);
    const double laterRatio = meanAt(later, st.label) / meanAt(later, rest);
    EXPECT_GT(laterRatio, priorRatio + 0.15) << st.subject;
    EXPECT_LT(priorRatio, 1.25) << st.subject << ": new-lesion voxels hyperintense on the prior visit";
  }
  EXPECT_GE(withNew, 5);
}

TEST(SynthCohort, EnhancingLesionsAreBrighterAfterContrast) {
  int checked = 0;
  for (const char* c : {"ms_enhancement", "source_enhancement"}) {
    for (int i = 0; i < 6; ++i) {
      synth::Study st = synth::makeStudy(small(c), i);
      if (count(st.label) < 2) continue;
      const auto& pre = st.channels[0].second;
      const auto& post = st.channels[1].second;
      MaskVolume rest = st.brainmask;
      for (size_t v = 0; v < rest.data.size(); ++v) rest.data[v] &= !st.label.data[v];
      // Post/pre ratio: above 1 at enhancing lesions (partial volume on this coarse test grid
      // dilutes small ones), about 1 in the rest of the brain.
      const double atLesion = meanAt(post, st.label) / meanAt(pre, st.label);
      const double elsewhere = meanAt(post, rest) / meanAt(pre, rest);
      EXPECT_GT(atLesion, 1.1) << c << " " << st.subject;
      EXPECT_GT(atLesion, elsewhere + 0.08) << c << " " << st.subject;
      ++checked;
    }
  }
  EXPECT_GE(checked, 6);
}

TEST(SynthCohort, LesionCountsAndSizesStayWithinTheConfiguredRanges) {
  const auto& R = synth::ranges();
  bool sawNone = false, sawMany = false;
  for (int i = 0; i < 25; ++i) {
    auto st = synth::makeStudy(small("ms_flair", 25), i);
    EXPECT_LE(static_cast<int>(st.lesions.size()), R.msLesionsMax);
    sawNone = sawNone || st.lesions.size() <= 2;
    sawMany = sawMany || st.lesions.size() >= 15;
    for (const auto& l : st.lesions) {
      EXPECT_GE(l.diameterMm, R.msDiameterMin);
      EXPECT_LE(l.diameterMm, R.msDiameterMax);
    }
  }
  EXPECT_TRUE(sawNone && sawMany) << "lesion load should vary widely between studies";
  bool sawNoNew = false;
  for (int i = 0; i < 16; ++i) {
    auto st = synth::makeStudy(small("ms_longitudinal", 16), i);
    int n = 0;
    for (const auto& l : st.lesions) n += l.isNew;
    EXPECT_LE(n, R.newLesionsMax);
    sawNoNew = sawNoNew || n == 0;
  }
  EXPECT_TRUE(sawNoNew) << "some longitudinal studies should have no new lesion";
  for (int i = 0; i < 8; ++i) {
    auto st = synth::makeStudy(small("ms_enhancement", 8), i);
    int n = 0;
    for (const auto& l : st.lesions) n += l.labelled;
    EXPECT_LE(n, R.enhancingMax);
    auto mets = synth::makeStudy(small("source_enhancement", 8), i);
    EXPECT_GE(static_cast<int>(mets.lesions.size()), R.metastasesMin);
    EXPECT_LE(static_cast<int>(mets.lesions.size()), R.metastasesMax);
    for (const auto& l : mets.lesions) {
      EXPECT_GE(l.diameterMm, R.metDiameterMin);
      EXPECT_LE(l.diameterMm, R.metDiameterMax);
    }
    auto src = synth::makeStudy(small("source_flair", 8), i);
    EXPECT_GE(static_cast<int>(src.lesions.size()), R.sourcePathologiesMin);
    EXPECT_LE(static_cast<int>(src.lesions.size()), R.sourcePathologiesMax);
  }
}

TEST(SynthCohort, SourceLesionsAreLargerThanMsLesions) {
  // The source pathology shares FLAIR appearance with MS lesions but not their size.
  double ms = 0, src = 0;
  int nms = 0, nsrc = 0;
  for (int i = 0; i < 8; ++i) {
    auto a = synth::makeStudy(small("ms_flair", 8), i);
    auto b = synth::makeStudy(small("source_flair", 8), i);
    for (const auto& l : a.lesions) ms += l.diameterMm, ++nms;
    int64_t v = count(b.label);
    src += static_cast<double>(v) / b.lesions.size();
    ++nsrc;
  }
  EXPECT_GT(src / nsrc * 3.33 * 3.33 * 3.33, 8 * (3.14159 / 6) * std::pow(ms / nms, 3));
}


TEST(SynthCohort, RegionMapsCoverTheBrainAndPutEachRegionWhereAnatomyHasIt) {
  synth::CohortOptions o = small("ms_flair", 1);
  o.shape = {80, 96, 80};  // the demo grid: 2 mm, fine enough for a 5 mm periventricular band
  o.spacingMm = 2.0;
  const synth::Study st = synth::makeStudy(o, 0);
  ASSERT_TRUE(st.regions.geom.sameGrid(st.brainmask.geom));
  std::array<int64_t, 6> n{};
  std::array<double, 6> z{};
  for (size_t v = 0; v < st.regions.data.size(); ++v) {
    const int r = st.regions.data[v];
    ASSERT_LE(r, 5);
    ASSERT_EQ(r != 0, st.brainmask.data[v] == 1) << "a region exactly where the brain mask is";
    ++n[static_cast<size_t>(r)];
    z[static_cast<size_t>(r)] += static_cast<double>(v / (80 * 96));  // slice index (superior is larger)
  }
  const int64_t brain = count(st.brainmask);
  for (int r = 1; r <= 5; ++r) EXPECT_GT(n[static_cast<size_t>(r)], brain / 100) << synth::regionName(r);
  // The posterior fossa lies below the supratentorial white matter; periventricular white matter
  // hugs the ventricles, so it is a minority of the white matter.
  EXPECT_LT(z[4] / n[4], z[2] / n[2] - 10);
  EXPECT_LT(n[1], n[2] + n[3]);
  // Periventricular lesions (the generator's own kind) fall mostly in the periventricular band.
  int64_t lesionVoxels = 0, inBand = 0;
  for (size_t v = 0; v < st.label.data.size(); ++v)
    if (st.label.data[v]) {
      ++lesionVoxels;
      inBand += st.regions.data[v] == 1;
    }
  EXPECT_GT(lesionVoxels, 0);
  EXPECT_GT(inBand, 0);
}

// MS lesions are fainter towards their edge and uneven inside, as measured on real FLAIR
// (research/synth_realism.py): the blob's contrast gain is 1 - rim at its boundary, 1 from half
// its smallest radius inwards, modulated by smooth noise of amplitude `heterogeneity`.
TEST(SynthCohort, MsLesionsAreFainterAtTheirEdgeAndUnevenInside) {
  synth::Blob b;
  b.radii = {4, 3, 3};
  b.rim = 0.6;
  EXPECT_DOUBLE_EQ(b.contrastGain({0, 0, 0}, 0.0), 0.4);   // on the boundary
  EXPECT_DOUBLE_EQ(b.contrastGain({0, 0, 0}, -0.75), 0.7);  // a quarter of the way in
  EXPECT_DOUBLE_EQ(b.contrastGain({0, 0, 0}, -2.0), 1.0);   // deeper than half the smallest radius
  b.heterogeneity = 0.4;
  double lo = 10, hi = -10;
  for (int i = 0; i < 50; ++i) {
    const double g = b.contrastGain({0.37 * i, 0.11 * i, -0.23 * i}, -2.0);
    lo = std::min(lo, g);
    hi = std::max(hi, g);
    EXPECT_GE(g, 0.6 - 1e-12);
    EXPECT_LE(g, 1.4 + 1e-12);
  }
  EXPECT_GT(hi - lo, 0.2);  // uneven inside
  synth::Blob plain;  // other pathologies: uniform
  EXPECT_DOUBLE_EQ(plain.contrastGain({1, 2, 3}, 0.0), 1.0);

  // In rendered ms_flair studies (demo grid, 2 mm), labelled voxels at a lesion's edge are darker
  // than those inside it.
  synth::CohortOptions o = small("ms_flair", 6, 3);
  o.shape = {80, 96, 80};
  o.spacingMm = 2.0;
  double edge = 0, inner = 0;
  int64_t ne = 0, ni = 0;
  for (int s = 0; s < o.count; ++s) {
    const synth::Study st = synth::makeStudy(o, s);
    const FloatVolume& f = st.channels[0].second;
    const auto& g = st.label.geom.size;
    for (int64_t z = 1; z + 1 < g[2]; ++z)
      for (int64_t y = 1; y + 1 < g[1]; ++y)
        for (int64_t x = 1; x + 1 < g[0]; ++x) {
          if (!st.label.at(x, y, z)) continue;
          const bool atEdge = !st.label.at(x - 1, y, z) || !st.label.at(x + 1, y, z) || !st.label.at(x, y - 1, z) ||
                              !st.label.at(x, y + 1, z) || !st.label.at(x, y, z - 1) || !st.label.at(x, y, z + 1);
          (atEdge ? edge : inner) += f.at(x, y, z);
          ++(atEdge ? ne : ni);
        }
  }
  ASSERT_GT(ni, 20);
  // Edge voxels are partly the brighter tissue around the lesion (cortex beside juxtacortical lesions,
  // the periventricular rim): the margin is a few percent of the mean, not the rim's full 50-80 %.
  EXPECT_LT(edge / ne, 0.97 * (inner / ni)) << "edge " << edge / ne << " inner " << inner / ni;
}
