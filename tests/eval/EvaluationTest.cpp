// Evaluation of a prediction folder against a manifest's labels.
#include <gtest/gtest.h>

#include "lib/core/Csv.h"
#include "lib/core/Error.h"
#include "lib/eval/Evaluation.h"
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
