#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "lib/core/Error.h"
#include "lib/io/Manifest.h"
#include "tests/io/ManifestFixture.h"

using namespace mst;
namespace fs = std::filesystem;

namespace {
std::vector<std::string> structuralProblems(const fs::path& m) {
  try {
    io::readManifest(m);
  } catch (const InputError& e) {
    return e.problems();
  }
  return {};
}
bool anyContains(const std::vector<std::string>& v, const std::string& needle) {
  return std::any_of(v.begin(), v.end(), [&](const std::string& s) { return s.find(needle) != std::string::npos; });
}
std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += x + "\n";
  return s;
}
}  // namespace

TEST(ManifestReader, ResolvesRelativePathsAgainstManifestFolderAndKeepsChannelOrder) {
  test::SmallDataset d;
  auto path = d.manifest("subject,session,t1,flair,label\ns01,1,s01_flair.nii.gz,/abs/f.nii.gz,s01_label.nii.gz\n");
  io::Manifest m = io::readManifest(path);
  EXPECT_EQ(m.channels, (std::vector<std::string>{"t1", "flair"}));
  ASSERT_EQ(m.rows.size(), 1u);
  EXPECT_EQ(*m.rows[0].channel("t1"), d.dir / "s01_flair.nii.gz");
  EXPECT_EQ(*m.rows[0].channel("flair"), fs::path("/abs/f.nii.gz"));
  EXPECT_EQ(m.rows[0].line, 2);
}

TEST(ManifestReader, ReportsDuplicateStudyWithBothLines) {
  test::SmallDataset d;
  auto path = d.manifest(test::SmallDataset::header() + test::SmallDataset::row("s01") + test::SmallDataset::row("s02") +
                         test::SmallDataset::row("s01"));
  auto p = structuralProblems(path);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0], path.string() + ":4: duplicate study: subject 's01' session '1' already on line 2");
}

TEST(ManifestReader, ReportsEveryStructuralProblemAtOnce) {
  test::SmallDataset d;
  auto path = d.manifest("session,Flair,t2_transform,label\n1,,x.txt,\n");
  auto p = structuralProblems(path);
  const std::string f = path.string();
  EXPECT_TRUE(anyContains(p, f + ":1: missing required column 'subject'")) << joined(p);
  EXPECT_TRUE(anyContains(p, f + ":1: column 'Flair': channel names must be lower-case")) << joined(p);
  EXPECT_TRUE(anyContains(p, f + ":1: column 't2_transform': no channel column 't2'")) << joined(p);
  EXPECT_TRUE(anyContains(p, f + ":2: column 'Flair': empty, expected an image path")) << joined(p);
  EXPECT_TRUE(anyContains(p, f + ":2: column 'label': empty, expected a mask path")) << joined(p);
  EXPECT_GE(p.size(), 5u);
}

TEST(ManifestReader, HeaderOnlyManifestIsAnError) {
  test::SmallDataset d;
  auto p = structuralProblems(d.manifest(test::SmallDataset::header()));
  EXPECT_TRUE(anyContains(p, "no studies")) << joined(p);
}

TEST(ManifestCheck, ValidDatasetHasNoProblems) {
  test::SmallDataset d;
  auto m = io::readManifest(d.manifest(test::SmallDataset::header() + test::SmallDataset::row("s01") +
                                       test::SmallDataset::row("s02")));
  auto rep = io::checkManifest(m);
  EXPECT_TRUE(rep.ok()) << joined(rep.problems);
  EXPECT_EQ(rep.studies, 2);
}

TEST(ManifestCheck, MissingFileNamesRowColumnAndFile) {
  test::SmallDataset d;
  auto path = d.manifest(test::SmallDataset::header() + "s01,1,missing.nii.gz,s01_label.nii.gz,s01_brain.nii.gz\n");
  auto rep = io::checkManifest(io::readManifest(path));
  ASSERT_EQ(rep.problems.size(), 1u) << joined(rep.problems);
  EXPECT_EQ(rep.problems[0],
            path.string() + ":2: column 'flair': '" + (d.dir / "missing.nii.gz").string() + "': file not found");
}

TEST(ManifestCheck, CorruptFileIsReported) {
  test::SmallDataset d;
  test::writeFile(d.dir / "bad.nii.gz", "garbage");
  auto path = d.manifest(test::SmallDataset::header() + "s01,1,bad.nii.gz,s01_label.nii.gz,s01_brain.nii.gz\n");
  auto rep = io::checkManifest(io::readManifest(path));
  ASSERT_EQ(rep.problems.size(), 1u) << joined(rep.problems);
  EXPECT_NE(rep.problems[0].find(":2: column 'flair': '" + (d.dir / "bad.nii.gz").string() + "'"), std::string::npos)
      << rep.problems[0];
}

TEST(ManifestCheck, NanAndInfVoxelsAreReportedWithCount) {
  test::SmallDataset d;
  FloatVolume img(test::cubeGeometry(8), 1.0f);
  img.data[3] = std::numeric_limits<float>::quiet_NaN();
  img.data[9] = std::numeric_limits<float>::infinity();
  io::writeImage(d.dir / "nan.nii.gz", img);
  auto path = d.manifest(test::SmallDataset::header() + "s01,1,nan.nii.gz,s01_label.nii.gz,s01_brain.nii.gz\n");
  auto rep = io::checkManifest(io::readManifest(path));
  ASSERT_EQ(rep.problems.size(), 1u) << joined(rep.problems);
  EXPECT_NE(rep.problems[0].find("2 NaN/Inf voxels, expected none"), std::string::npos) << rep.problems[0];
}

TEST(ManifestCheck, LabelOnAnotherGridWithoutTransformOrReferenceIsReported) {
  test::SmallDataset d;
  MaskVolume lab(test::cubeGeometry(8, 2.0), 0);
  io::writeMask(d.dir / "lab2mm.nii.gz", lab);
  auto path = d.manifest(test::SmallDataset::header() + "s01,1,s01_flair.nii.gz,lab2mm.nii.gz,s01_brain.nii.gz\n");
  auto rep = io::checkManifest(io::readManifest(path));
  ASSERT_EQ(rep.problems.size(), 1u) << joined(rep.problems);
  EXPECT_NE(rep.problems[0].find(":2: column 'label': grid differs from channel 'flair' and no transform or reference"),
            std::string::npos)
      << rep.problems[0];
  EXPECT_NE(rep.problems[0].find("expected 8x8x8 @ 1x1x1 mm"), std::string::npos) << rep.problems[0];
  // An empty label is legal: only a note.
  EXPECT_TRUE(anyContains(rep.notes, "is empty (no lesion voxels)")) << joined(rep.notes);
}

TEST(ManifestCheck, ChannelsThatDoNotOverlapInSpaceAreReported) {
  test::SmallDataset d;
  Geometry far = test::cubeGeometry(8);
  far.origin = {500, 0, 0};
  io::writeImage(d.dir / "far.nii.gz", FloatVolume(far, 1.0f));
  auto path = d.manifest("subject,flair,t1,label\ns01,s01_flair.nii.gz,far.nii.gz,s01_label.nii.gz\n");
  auto rep = io::checkManifest(io::readManifest(path));
  ASSERT_EQ(rep.problems.size(), 1u) << joined(rep.problems);
  EXPECT_NE(rep.problems[0].find(":2: column 't1': '" + (d.dir / "far.nii.gz").string() +
                                 "' does not overlap the flair grid in physical space"),
            std::string::npos)
      << rep.problems[0];
}

TEST(ManifestCheck, TransformIsUsedForOverlapAndUnreadableTransformIsReported) {
  test::SmallDataset d;
  Geometry far = test::cubeGeometry(8);
  far.origin = {500, 0, 0};
  io::writeImage(d.dir / "far.nii.gz", FloatVolume(far, 1.0f));
  io::AffineTransform shift;
  shift.offset = {500, 0, 0};
  io::writeTransform(d.dir / "shift.txt", shift);
  test::writeFile(d.dir / "broken.txt", "#Insight Transform File V1.0\nTransform: NoSuchTransform_double_3_3\n");
  auto path = d.manifest(
      "subject,flair,t1,t1_transform,reference,label\n"
      "s01,s01_flair.nii.gz,far.nii.gz,shift.txt,s01_flair.nii.gz,s01_label.nii.gz\n"
      "s02,s02_flair.nii.gz,far.nii.gz,broken.txt,s02_flair.nii.gz,s02_label.nii.gz\n");
  auto rep = io::checkManifest(io::readManifest(path));
  ASSERT_EQ(rep.problems.size(), 1u) << joined(rep.problems);
  EXPECT_NE(rep.problems[0].find(":3: column 't1_transform': '" + (d.dir / "broken.txt").string() + "'"),
            std::string::npos)
      << rep.problems[0];
}

TEST(ManifestCheck, NonBinaryLabelIsANoteNotAProblem) {
  test::SmallDataset d;
  FloatVolume lab(test::cubeGeometry(8), 0.0f);
  lab.data[5] = 2.0f;
  io::writeImage(d.dir / "lab2.nii.gz", lab);
  auto path = d.manifest(test::SmallDataset::header() + "s01,1,s01_flair.nii.gz,lab2.nii.gz,s01_brain.nii.gz\n");
  auto rep = io::checkManifest(io::readManifest(path));
  EXPECT_TRUE(rep.ok()) << joined(rep.problems);
  EXPECT_TRUE(anyContains(rep.notes, "has values other than 0/1 (2)")) << joined(rep.notes);
}

TEST(ManifestWriter, WritesRelativePathsAndReadsBackTheSameStudies) {
  test::SmallDataset d;
  auto m = io::readManifest(d.manifest(test::SmallDataset::header() + test::SmallDataset::row("s01") +
                                       test::SmallDataset::row("s02")));
  io::writeManifest(d.dir / "copy.csv", m);
  std::string text;
  {
    std::ifstream f(d.dir / "copy.csv");
    std::getline(f, text);
    std::getline(f, text);
  }
  EXPECT_EQ(text, "s01,1,s01_flair.nii.gz,s01_label.nii.gz,s01_brain.nii.gz");
  auto back = io::readManifest(d.dir / "copy.csv");
  ASSERT_EQ(back.rows.size(), 2u);
  EXPECT_EQ(back.rows[1].label, m.rows[1].label);
}
