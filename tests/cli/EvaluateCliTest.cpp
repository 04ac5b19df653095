#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "lib/core/Csv.h"
#include "lib/io/Nifti.h"
#include "tests/support/TestSupport.h"

using namespace mst;
namespace fs = std::filesystem;

namespace {
void box(MaskVolume& m, int x0, int x1) {
  for (int x = x0; x <= x1; ++x) m.at(x, 5, 5) = 1;
}
}  // namespace

TEST(EvaluateCli, SinglePairJsonHasEveryFieldAndNullForUndefined) {
  test::TempDir d;
  MaskVolume t(test::cubeGeometry(12), 0), p(test::cubeGeometry(12), 0);
  box(t, 1, 2);
  box(t, 6, 7);
  box(p, 1, 2);
  io::writeMask(d / "t.nii.gz", t);
  io::writeMask(d / "p.nii.gz", p);
  auto r = test::runCli("evaluate --pred '" + (d / "p.nii.gz").string() + "' --truth '" + (d / "t.nii.gz").string() +
                        "' --json");
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("n_truth"), 2) << r.out;
  EXPECT_EQ(j.at("tp_truth"), 1) << r.out;
  EXPECT_DOUBLE_EQ(j.at("sensitivity").get<double>(), 0.5) << r.out;
  EXPECT_DOUBLE_EQ(j.at("ppv").get<double>(), 1.0) << r.out;
  EXPECT_NEAR(j.at("dice").get<double>(), 2.0 / 3.0, 1e-12) << r.out;  // 2 * 2 / (4 + 2)
  EXPECT_EQ(j.size(), 12u) << r.out;
  io::writeMask(d / "e.nii.gz", MaskVolume(test::cubeGeometry(12), 0));
  r = test::runCli("evaluate --pred '" + (d / "e.nii.gz").string() + "' --truth '" + (d / "t.nii.gz").string() +
                   "' --json");
  j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j.at("ppv").is_null()) << r.out;
  EXPECT_TRUE(j.at("f1").is_null()) << r.out;
}

TEST(EvaluateCli, BadCriterionAndGridMismatchExitTwo) {
  test::TempDir d;
  io::writeMask(d / "a.nii.gz", MaskVolume(test::cubeGeometry(6), 0));
  io::writeMask(d / "b.nii.gz", MaskVolume(test::cubeGeometry(7), 0));
  auto r = test::runCli("evaluate --pred '" + (d / "a.nii.gz").string() + "' --truth '" + (d / "a.nii.gz").string() +
                        "' --criterion overlap");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--criterion: expected one of any, anima, iou:T, got 'overlap'"), std::string::npos) << r.err;
  r = test::runCli("evaluate --pred '" + (d / "a.nii.gz").string() + "' --truth '" + (d / "b.nii.gz").string() + "'");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("differs from the truth"), std::string::npos) << r.err;
}

TEST(EvaluateCli, TestSetModeWritesPerStudyCsvAndListsMissingPredictions) {
  test::TempDir d;
  MaskVolume t(test::cubeGeometry(12), 0);
  box(t, 1, 2);
  io::writeMask(d / "s1_label.nii.gz", t);
  io::writeMask(d / "s2_label.nii.gz", MaskVolume(test::cubeGeometry(12), 0));
  io::writeImage(d / "img.nii.gz", FloatVolume(test::cubeGeometry(12), 1.f));
  test::writeFile(d / "m.csv", "subject,session,flair,label\ns1,a,img.nii.gz,s1_label.nii.gz\ns2,a,img.nii.gz,s2_label.nii.gz\n");
  fs::create_directories(d / "pred");
  io::writeMask(d / "pred" / "s1_a_mask.nii.gz", t);
  auto r = test::runCli("evaluate --pred-dir '" + (d / "pred").string() + "' --manifest '" + (d / "m.csv").string() +
                        "' --out '" + (d / "out.csv").string() + "'");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find(":3: no prediction for study 's2_a'"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(d / "out.csv"));
  io::writeMask(d / "pred" / "s2_a_mask.nii.gz", t);
  r = test::runCli("evaluate --pred-dir '" + (d / "pred").string() + "' --manifest '" + (d / "m.csv").string() +
                   "' --out '" + (d / "out.csv").string() + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  CsvTable csv = readCsv(d / "out.csv");
  ASSERT_EQ(csv.rows.size(), 2u);
  EXPECT_EQ(csv.rows[0][csv.column("sensitivity")], "1");
  EXPECT_EQ(csv.rows[1][csv.column("sensitivity")], "");  // no true lesions: undefined
  EXPECT_EQ(csv.rows[1][csv.column("ppv")], "0");
  EXPECT_EQ(csv.rows[1][csv.column("fp_lesions")], "1");
}
