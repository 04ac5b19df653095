// The first commands a newcomer types, and the inputs that used to give a half-answer: each exits 2
// with a message that names the file, key or option, or now does what the user meant.
#include <gtest/gtest.h>

#include <random>

#include "lib/core/Csv.h"
#include "lib/core/Error.h"
#include "lib/io/Manifest.h"
#include "lib/io/Nifti.h"
#include "tests/io/ManifestFixture.h"
#include "tests/support/TestSupport.h"

using namespace mst;
namespace fs = std::filesystem;

namespace {

const fs::path kTiny = test::tinyExperiment();
std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

void expectInputError(const test::CliResult& r, const std::vector<std::string>& fragments) {
  EXPECT_EQ(r.code, 2) << "stdout: " << r.out << "\nstderr: " << r.err;
  for (const auto& f : fragments) EXPECT_NE(r.err.find(f), std::string::npos) << "missing '" << f << "' in: " << r.err;
}

size_t occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// A FLAIR-like intensity image: smooth tissue values with noise, thousands of distinct values.
void writeIntensityImage(const fs::path& p, int64_t n) {
  FloatVolume v(test::cubeGeometry(n, 1.0), 0.f);
  std::mt19937 rng(3);
  std::normal_distribution<float> noise(0.f, 20.f);
  for (auto& x : v.data) x = 300.f + noise(rng);
  io::writeImage(p, v);
}

// Dry-runs an experiment that inherits the tiny one with BODY appended.
test::CliResult dryRun(const test::TempDir& d, const std::string& body) {
  const fs::path f = d / "v.toml";
  test::writeFile(f, "inherit = \"" + kTiny.string() + "\"\n" + body);
  return test::runCli("run " + q(f) + " --dry-run --results " + q(d / "res") + " --data-root " + q(d / "data"));
}

// A small trained checkpoint (one channel, flair) of the fixture's 8^3 studies.
fs::path trainTinyModel(test::SmallDataset& ds) {
  const auto m = ds.manifest(ds.header() + ds.row("s01") + ds.row("s02"));
  test::writeFile(ds.dir / "tiny.toml",
                  "[model]\nbase_filters = 2\ndepth = 2\n[train]\npatch = 8\nbatch_size = 1\niterations = 2\n"
                  "val_every = 0\nschedule = \"constant\"\ncheckpoint_every = 1\nlog_every = 1\n");
  auto r = test::runCli("train --manifest " + q(m) + " --out " + q(ds.dir / "model") + " --config " +
                        q(ds.dir / "tiny.toml") + " --val-fraction 0 --threads 1");
  EXPECT_EQ(r.code, 0) << r.err;
  return ds.dir / "model" / "best.pt";
}

}  // namespace

TEST(Newcomer, AnIntensityImageAsLabelFailsManifestCheck) {
  test::SmallDataset ds;
  writeIntensityImage(ds.dir / "s01_flair_as_label.nii.gz", 8);
  const auto m = ds.manifest("subject,session,flair,label\ns01,1,s01_flair.nii.gz,s01_flair_as_label.nii.gz\n");
  auto r = test::runCli("manifest check " + q(m));
  expectInputError(r, {"s01_flair_as_label.nii.gz' looks like an intensity image, not a mask", "column 'label'"});
}

TEST(Newcomer, TrainWithAMissingSourceStopsBeforeAnyWork) {
  test::SmallDataset ds;
  const auto m = ds.manifest(ds.header() + ds.row("s01") + ds.row("s02"));
  auto r = test::runCli("train --manifest " + q(m) + " --out " + q(ds.dir / "o") +
                        " --init source --source /nonexistent.pt");
  expectInputError(r, {"--source: '/nonexistent.pt': no such file"});
  EXPECT_FALSE(fs::exists(ds.dir / "o" / "cache.h5"));
}

TEST(Newcomer, ExperimentFileMisspellingsGetDidYouMean) {
  test::TempDir d;
  auto r = dryRun(d, "[train]\niteratons = 5\n");
  expectInputError(r, {"[train] iteratons: unknown key; did you mean 'iterations'?"});
  r = dryRun(d, "[trian]\niterations = 5\n");
  expectInputError(r, {"[trian]: unknown section; did you mean [train]?"});
}

TEST(Newcomer, AMissingInheritedFileNamesTheFileThatInheritsIt) {
  test::TempDir d;
  test::writeFile(d / "child.toml", "inherit = \"nothere.toml\"\nname = \"x\"\n");
  auto r = test::runCli("run " + q(d / "child.toml") + " --dry-run --results " + q(d / "res"));
  expectInputError(r, {(d / "nothere.toml").string() + "': file not found (inherited by '" + (d / "child.toml").string()});
}

TEST(Newcomer, ABadTrainValueInheritedByEveryArmIsReportedOnce) {
  test::TempDir d;
  auto r = dryRun(d, "[train]\nlr = -1\n");
  expectInputError(r, {"[train] lr: expected 0 < lr < 10, got -1"});
  EXPECT_EQ(occurrences(r.err, "lr: expected"), 1u) << r.err;
}

TEST(Newcomer, OptionErrorsUseTheOptionsSpellingAndTheValueAsGiven) {
  test::SmallDataset ds;
  auto r = test::runCli("evaluate --pred " + q(ds.dir / "s01_label.nii.gz") + " --truth " + q(ds.dir / "s01_label.nii.gz") +
                        " --min-size-mm3 -1");
  expectInputError(r, {"--min-size-mm3: expected >= 0, got -1"});
  EXPECT_EQ(r.err.find("min_size_mm3"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("-1.000000"), std::string::npos) << r.err;
}

TEST(Newcomer, HelpShowsDefaultsAsWritten) {
  auto r = test::runCli("train --help");
  EXPECT_NE(r.out.find("(=0.2)"), std::string::npos) << r.out;
  r = test::runCli("evaluate --help");
  EXPECT_NE(r.out.find("(=0.1)"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("0000000"), std::string::npos) << r.out;
}

TEST(Newcomer, OneStudyIsSingular) {
  test::SmallDataset ds;
  const auto m = ds.manifest(ds.header() + ds.row("s01"));
  auto r = test::runCli("manifest check " + q(m));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("OK, 1 study, "), std::string::npos) << r.out;
}

TEST(Newcomer, ScannedManifestPathsDoNotDependOnTheWorkingDirectory) {
  test::TempDir d;
  test::writeFile(d / "data" / "dataset.json", R"({"channel_names": {"0": "FLAIR"}, "file_ending": ".nii.gz"})");
  io::writeImage(d / "data" / "imagesTr" / "c1_0000.nii.gz", FloatVolume(test::cubeGeometry(6), 1.f));
  fs::create_directories(d / "out");
  // Relative --root and --out from the temp folder; the manifest is then read from elsewhere.
  auto r = test::runCli("manifest scan --layout nnunet --root data --out out/m.csv", "cd " + q(d.path()) + " &&");
  ASSERT_EQ(r.code, 0) << r.err;
  r = test::runCli("manifest check " + q(d / "out" / "m.csv"));
  EXPECT_EQ(r.code, 0) << r.err << test::readFile(d / "out" / "m.csv");
}

TEST(Newcomer, NnunetTestImagesAreScanned) {
  test::TempDir d;
  test::writeFile(d / "dataset.json", R"({"channel_names": {"0": "FLAIR"}, "file_ending": ".nii.gz"})");
  io::writeImage(d / "imagesTs" / "t1_0000.nii.gz", FloatVolume(test::cubeGeometry(6), 1.f));
  auto r = test::runCli("manifest scan --layout nnunet_test --root " + q(d.path()) + " --out " + q(d / "ts.csv"));
  ASSERT_EQ(r.code, 0) << r.err;
  const CsvTable t = readCsv(d / "ts.csv");
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_EQ(t.column("label"), -1);
}

TEST(Newcomer, StatsWithAMisspeltMetricListsTheColumns) {
  test::TempDir d;
  test::writeFile(d / "a.csv", "subject,sensitivity,ppv\ns1,0.5,0.4\n");
  auto r = test::runCli("stats paired --a " + q(d / "a.csv") + " --b " + q(d / "a.csv") + " --metric sensitivty");
  expectInputError(r, {"did you mean 'sensitivity'?", "the columns are: subject, sensitivity, ppv"});
}

TEST(Newcomer, ACsvGivenAsAnImageIsNamedAsSuch) {
  test::SmallDataset ds;
  test::writeFile(ds.dir / "notes.csv", "a,b\n1,2\n");
  const auto m = ds.manifest("subject,flair\ns01,notes.csv\n");
  auto r = test::runCli("manifest check " + q(m));
  expectInputError(r, {"notes.csv': a .csv file, not an image; expected a NIfTI image"});
}

TEST(Newcomer, AFolderOfAnotherLayoutIsSaidOnce) {
  test::TempDir d;
  for (const char* p : {"patient01", "patient02"}) io::writeImage(d / p / "FLAIR.nii.gz", FloatVolume(test::cubeGeometry(4), 1.f));
  auto r = test::runCli("manifest scan --layout open_ms_longitudinal --root " + q(d.path()) + " --out " + q(d / "m.csv"));
  expectInputError(r, {"does not match the layout 'open_ms_longitudinal'"});
  EXPECT_EQ(r.err.find("file not found\n"), std::string::npos) << r.err;
}

TEST(Newcomer, PredictOnAPlainFolderOfNnunetNamedImages) {
  test::SmallDataset ds;
  const fs::path model = trainTinyModel(ds);
  ASSERT_TRUE(fs::exists(model));
  fs::create_directories(ds.dir / "in");
  fs::copy_file(ds.dir / "s01_flair.nii.gz", ds.dir / "in" / "case01_0000.nii.gz");
  auto r = test::runCli("predict --model " + q(model) + " --input " + q(ds.dir / "in") + " --out " + q(ds.dir / "out") +
                        " --threads 1");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(fs::exists(ds.dir / "out" / "case01_mask.nii.gz"));
  EXPECT_TRUE(fs::exists(ds.dir / "out" / "case01_prob.nii.gz"));
  EXPECT_NE(r.out.find("1 study predicted"), std::string::npos) << r.out;
  // A second channel the one-channel model does not take, and a case without its _0000.
  fs::copy_file(ds.dir / "s01_flair.nii.gz", ds.dir / "in" / "case01_0001.nii.gz");
  fs::copy_file(ds.dir / "s02_flair.nii.gz", ds.dir / "in" / "case02_0001.nii.gz");
  r = test::runCli("predict --model " + q(model) + " --input " + q(ds.dir / "in") + " --out " + q(ds.dir / "out2"));
  expectInputError(r, {"case01_0001.nii.gz': channel index 1, but the model takes 1 channel(s)",
                       "case02_0000.nii.gz': missing; the model takes 1 channel(s) in this order: flair (_0000)"});
  r = test::runCli("predict --model " + q(model) + " --out " + q(ds.dir / "out3"));
  expectInputError(r, {"expected exactly one of --manifest (a CSV) and --input"});
}

TEST(Newcomer, PredictFolderRefusesChannelsOnDifferentGrids) {
  test::TempDir d;
  io::writeImage(d / "in" / "c_0000.nii.gz", FloatVolume(test::cubeGeometry(6), 1.f));
  io::writeImage(d / "in" / "c_0001.nii.gz", FloatVolume(test::cubeGeometry(7), 1.f));
  // The grid check needs no model: scanImageFolder is what predict --input calls.
  try {
    io::scanImageFolder(d / "in", {"flair", "t1"});
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("c_0001.nii.gz' (channel t1): grid"), std::string::npos) << e.what();
  }
}
