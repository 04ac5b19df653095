// Evaluation of a prediction folder against a manifest's labels.
#include <gtest/gtest.h>

#include "lib/core/Csv.h"
#include "lib/core/Error.h"
#include "lib/eval/Evaluation.h"
#include "lib/eval/LesionAnalysis.h"
#include "lib/metrics/Components.h"
#include "lib/io/Nifti.h"
#include "tests/support/TestSupport.h"

using namespace mst;
namespace fs = std::filesystem;

namespace {

// Two true lesions (2 voxels each) along x in row (y, z) = (5, 5).
MaskVolume truthMask() {
  MaskVolume t(test::cubeGeometry(12), 0);
  for (int x : {1, 2, 6, 7}) t.at(x, 5, 5) = 1;
  return t;
}

io::Manifest manifestOf(const fs::path& dir, const std::vector<std::string>& subjects) {
  io::Manifest m;
  m.file = dir / "m.csv";
  m.hasLabel = true;
  int line = 2;
  for (const auto& s : subjects) {
    io::StudyRow r;
    r.subject = s;
    r.session = "1";
    r.line = line++;
    r.label = dir / (s + "_label.nii.gz");
    io::writeMask(r.label, truthMask());
    m.rows.push_back(r);
  }
  return m;
}

}  // namespace

TEST(Evaluation, EveryMissingPredictionIsNamedAtOnceWithItsManifestLine) {
  test::TempDir d;
  fs::create_directories(d / "pred");
  auto m = manifestOf(d.path(), {"a", "b", "c"});
  io::writeMask(d / "pred" / eval::maskFileName(m.rows[1].id()), truthMask());
  try {
    eval::findPredictions(m, d / "pred");
    FAIL() << "missing predictions accepted";
  } catch (const InputError& e) {
    ASSERT_EQ(e.problems().size(), 2u) << e.what();
    EXPECT_NE(e.problems()[0].find("m.csv:2: no prediction for study 'a_1'"), std::string::npos) << e.problems()[0];
    EXPECT_NE(e.problems()[1].find("m.csv:4: no prediction for study 'c_1'"), std::string::npos) << e.problems()[1];
  }
}

TEST(Evaluation, SetIsScoredPerStudyAndAProbabilityMapNeedsAThreshold) {
  test::TempDir d;
  fs::create_directories(d / "pred");
  auto m = manifestOf(d.path(), {"a", "b"});
  // a: finds one of the two lesions plus one false positive; b: a probability map.
  MaskVolume pa(test::cubeGeometry(12), 0);
  pa.at(1, 5, 5) = 1;
  pa.at(10, 10, 10) = 1;
  io::writeMask(d / "pred" / eval::maskFileName(m.rows[0].id()), pa);
  FloatVolume pb(test::cubeGeometry(12), 0.f);
  for (int x : {1, 2, 6, 7}) pb.at(x, 5, 5) = 0.8f;
  pb.at(3, 3, 3) = 0.3f;  // below the threshold
  io::writeImage(d / "pred" / eval::maskFileName(m.rows[1].id()), pb);

  const auto pairs = eval::findPredictions(m, d / "pred");
  metrics::LesionOptions lo;
  EXPECT_THROW(eval::evaluateSet(pairs, lo, false), InputError);  // 0.8 is not a mask value
  const auto res = eval::evaluateSet(pairs, lo, false, 0.5);
  ASSERT_EQ(res.size(), 2u);
  EXPECT_DOUBLE_EQ(*res[0].m.sensitivity, 0.5);
  EXPECT_DOUBLE_EQ(*res[0].m.ppv, 0.5);
  EXPECT_EQ(res[0].m.fpLesions, 1);
  EXPECT_DOUBLE_EQ(*res[1].m.sensitivity, 1.0);
  EXPECT_DOUBLE_EQ(*res[1].m.ppv, 1.0);

  eval::writePerStudyCsv(d / "out.csv", res, true);
  const CsvTable t = readCsv(d / "out.csv");
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0][static_cast<size_t>(t.column("subject"))], "a");
  EXPECT_EQ(t.rows[0][static_cast<size_t>(t.column("sensitivity"))], "0.5");
}

TEST(Evaluation, FalsePositivesAreCountedByTheRegionOfMostOfTheirVoxels) {
  test::TempDir d;
  const io::Manifest m = manifestOf(d.path(), {"A"});
  fs::create_directories(d / "pred");
  // Regions: slices z < 4 posterior fossa (4), z >= 4 deep white matter (2); x >= 10 juxtacortical (3).
  FloatVolume regions(test::cubeGeometry(12), 0.0f);
  for (int z = 0; z < 12; ++z)
    for (int y = 0; y < 12; ++y)
      for (int x = 0; x < 12; ++x) regions.at(x, y, z) = x >= 10 ? 3.0f : z < 4 ? 4.0f : 2.0f;
  io::writeImage(d / "A_regions.nii.gz", regions);
  MaskVolume pred = truthMask();                    // both true lesions found: no false positive
  pred.at(6, 5, 6) = 1;                             // touches the second true lesion (26-connected): true
  pred.at(2, 2, 1) = pred.at(3, 2, 1) = 1;          // posterior fossa, 2 voxels
  pred.at(7, 8, 2) = 1;                             // posterior fossa, 1 voxel
  pred.at(9, 9, 8) = pred.at(10, 9, 8) = pred.at(11, 9, 8) = 1;  // 1 deep WM + 2 juxtacortical voxels: juxtacortical
  io::writeMask(d / "pred" / "A_1_mask.nii.gz", pred);
  const auto pairs = eval::findPredictions(m, d / "pred");
  metrics::LesionOptions lo;  // criterion any, 26-connectivity
  ASSERT_TRUE(eval::writeFpRegionsCsv(d / "fp.csv", pairs, lo));
  const CsvTable t = readCsv(d / "fp.csv");
  std::map<std::string, std::pair<std::string, std::string>> byRegion;
  for (const auto& r : t.rows) byRegion[r.at(2)] = {r.at(3), r.at(4)};
  ASSERT_EQ(byRegion.size(), 6u);  // every region listed, zeros included
  EXPECT_EQ(byRegion["posterior_fossa"], std::make_pair(std::string("2"), std::string("3")));  // 3 voxels of 1 mm^3
  EXPECT_EQ(byRegion["juxtacortical_cortical"], std::make_pair(std::string("1"), std::string("3")));
  EXPECT_EQ(byRegion["deep_white_matter"].first, "0");
  EXPECT_EQ(byRegion["periventricular"].first, "0");
  // With a minimum size of 2 voxels the single-voxel false positive is not a lesion.
  lo.minSizeVoxels = 2;
  ASSERT_TRUE(eval::writeFpRegionsCsv(d / "fp2.csv", pairs, lo));
  EXPECT_EQ(readCsv(d / "fp2.csv").rows.at(4).at(3), "1");  // posterior_fossa row
  // No region map (real data): nothing is written.
  fs::remove(d / "A_regions.nii.gz");
  EXPECT_FALSE(eval::writeFpRegionsCsv(d / "fp3.csv", pairs, lo));
  EXPECT_FALSE(fs::exists(d / "fp3.csv"));
}

// The threshold sweep binarises the probability map as the predictor does, so its point at the run's
// threshold is the evaluation of the mask on disk; lesions.csv lists every lesion with its fate.
TEST(Evaluation, ThresholdSweepOfTheProbabilityMapAndEveryLesion) {
  test::TempDir d;
  const io::Manifest m = manifestOf(d.path(), {"A"});
  fs::create_directories(d / "pred");
  FloatVolume prob(test::cubeGeometry(12), 0.01f);
  prob.at(1, 5, 5) = 0.92f;  // first true lesion: found from 0.92 down
  prob.at(2, 5, 5) = 0.40f;
  prob.at(6, 5, 5) = 0.30f;  // second true lesion: found from 0.30 down
  prob.at(9, 9, 9) = 0.60f;  // a false positive from 0.60 down
  prob.at(3, 9, 2) = 0.20f;  // another from 0.20 down
  io::writeImage(d / "pred" / eval::probFileName("A_1"), prob);
  const MaskVolume mask = metrics::binarize(prob, 0.5, 0);
  io::writeMask(d / "pred" / eval::maskFileName("A_1"), mask);
  const auto pairs = eval::findPredictions(m, d / "pred");
  metrics::LesionOptions lo;  // criterion any, 26-connectivity
  ASSERT_TRUE(eval::writeLesionAnalysis(d / "lesions.csv", d / "froc.csv", pairs, lo, {0.5, 0, {}}));

  const CsvTable f = readCsv(d / "froc.csv");
  ASSERT_EQ(f.rows.size(), 19u);  // 0.05, 0.10, ..., 0.95 (0.5 among them)
  std::map<std::string, std::vector<std::string>> at;
  for (const auto& r : f.rows) at[r.at(2)] = {r.at(3), r.at(4), r.at(5), r.at(6)};  // n_truth, tp_truth, n_pred, tp_pred
  using V = std::vector<std::string>;
  EXPECT_EQ(at["0.95"], (V{"2", "0", "0", "0"}));
  EXPECT_EQ(at["0.9"], (V{"2", "1", "1", "1"}));
  EXPECT_EQ(at["0.5"], (V{"2", "1", "2", "1"}));
  EXPECT_EQ(at["0.25"], (V{"2", "2", "3", "2"}));  // (1..2,5,5) one lesion, (6,5,5), (9,9,9)
  EXPECT_EQ(at["0.15"], (V{"2", "2", "4", "2"}));
  const auto direct = metrics::evaluate(mask, truthMask(), lo);  // the point at the run's threshold
  EXPECT_EQ(at["0.5"], (V{std::to_string(direct.nTruth), std::to_string(direct.tpTruth), std::to_string(direct.nPred),
                          std::to_string(direct.tpPred)}));

  const CsvTable l = readCsv(d / "lesions.csv");
  EXPECT_EQ(l.header, (V{"subject", "session", "side", "voxels", "volume_mm3", "detected", "region"}));
  ASSERT_EQ(l.rows.size(), 4u);
  EXPECT_EQ(l.rows[0], (V{"A", "1", "truth", "2", "2", "1", ""}));
  EXPECT_EQ(l.rows[1], (V{"A", "1", "truth", "2", "2", "0", ""}));
  EXPECT_EQ(l.rows[2], (V{"A", "1", "pred", "1", "1", "1", ""}));
  EXPECT_EQ(l.rows[3], (V{"A", "1", "pred", "1", "1", "0", ""}));

  // Without the probability maps only lesions.csv is written.
  fs::remove(d / "pred" / eval::probFileName("A_1"));
  EXPECT_FALSE(eval::writeLesionAnalysis(d / "lesions2.csv", d / "froc2.csv", pairs, lo, {0.5, 0, {}}));
  EXPECT_TRUE(fs::exists(d / "lesions2.csv"));
  EXPECT_FALSE(fs::exists(d / "froc2.csv"));
}
