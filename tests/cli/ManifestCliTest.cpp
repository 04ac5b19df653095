#include <gtest/gtest.h>

#include "lib/io/Manifest.h"
#include "tests/io/ManifestFixture.h"

using namespace mst;
namespace fs = std::filesystem;

TEST(ManifestCli, CheckOfValidManifestExitsZeroAndSummarises) {
  test::SmallDataset d;
  auto m = d.manifest(test::SmallDataset::header() + test::SmallDataset::row("s01") + test::SmallDataset::row("s02"));
  auto r = test::runCli("manifest check '" + m.string() + "'");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("OK, 2 studies, channels: flair, with labels"), std::string::npos) << r.out;
}

TEST(ManifestCli, BadInputExitsTwoAndListsEveryProblem) {
  test::SmallDataset d;
  auto m = d.manifest(test::SmallDataset::header() + "s01,1,nope1.nii.gz,s01_label.nii.gz,s01_brain.nii.gz\n" +
                      "s02,1,s02_flair.nii.gz,nope2.nii.gz,s02_brain.nii.gz\n");
  auto r = test::runCli("manifest check '" + m.string() + "'");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find(m.string() + ":2: column 'flair'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(m.string() + ":3: column 'label'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("2 problems found"), std::string::npos) << r.err;
}

TEST(ManifestCli, MissingManifestFileExitsTwoNamingIt) {
  auto r = test::runCli("manifest check /nonexistent/m.csv");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("'/nonexistent/m.csv': cannot open file"), std::string::npos) << r.err;
}

TEST(ManifestCli, UnknownOptionAndUnknownLayoutExitTwo) {
  auto r = test::runCli("manifest check --bogus x");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--bogus"), std::string::npos) << r.err;
  test::TempDir dir;
  r = test::runCli("manifest scan --layout nope --root '" + dir.path().string() + "' --out x.csv");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("unknown layout 'nope', expected one of: open_ms_longitudinal"), std::string::npos) << r.err;
}

TEST(ManifestCli, HelpListsOptionsWithDefaults) {
  auto r = test::runCli("manifest scan --help");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("--layout"), std::string::npos);
  EXPECT_NE(r.out.find("nnunet"), std::string::npos);
  r = test::runCli("--help");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("manifest"), std::string::npos);
}

TEST(ManifestScan, NnunetLayoutTakesChannelNamesFromDatasetJson) {
  test::TempDir dir;
  test::writeFile(dir / "dataset.json",
                  R"({"channel_names": {"0": "FLAIR", "1": "T1"}, "labels": {"background": 0, "lesion": 1},
                      "numTraining": 2, "file_ending": ".nii.gz"})");
  for (const char* c : {"case_001", "case_002"}) {
    io::writeImage(dir / "imagesTr" / (std::string(c) + "_0000.nii.gz"), FloatVolume(test::cubeGeometry(6), 1.f));
    io::writeImage(dir / "imagesTr" / (std::string(c) + "_0001.nii.gz"), FloatVolume(test::cubeGeometry(6), 2.f));
    io::writeMask(dir / "labelsTr" / (std::string(c) + ".nii.gz"), MaskVolume(test::cubeGeometry(6), 0));
  }
  auto out = dir / "nn.csv";
  auto r = test::runCli("manifest scan --layout nnunet --root '" + dir.path().string() + "' --out '" + out.string() + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  auto m = io::readManifest(out);
  EXPECT_EQ(m.channels, (std::vector<std::string>{"flair", "t1"}));
  ASSERT_EQ(m.rows.size(), 2u);
  EXPECT_EQ(*m.rows[1].channel("t1"), dir / "imagesTr" / "case_002_0001.nii.gz");
  r = test::runCli("manifest check '" + out.string() + "'");
  EXPECT_EQ(r.code, 0) << r.err;
}

TEST(ManifestScan, LongitudinalLayoutListsEveryMissingFile) {
  test::TempDir dir;
  fs::create_directories(dir / "patient01");
  fs::create_directories(dir / "patient02");
  test::writeFile(dir / "patient01" / "study1_FLAIR.nii.gz", "");
  auto r = test::runCli("manifest scan --layout open_ms_longitudinal --root '" + dir.path().string() +
                        "' --out '" + (dir / "l.csv").string() + "'");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find((dir / "patient01" / "study2_FLAIR.nii.gz").string() + "': file not found"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find((dir / "patient02" / "gt.nii.gz").string() + "': file not found"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "l.csv"));
}
