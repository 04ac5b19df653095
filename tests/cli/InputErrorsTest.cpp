// Every input that used to crash (segfault, exit 1, a raw library message) or
// that was silently accepted now exits 2 with a message that names the file,
// row, option or field, expected against actual. One test per row of the
// issue's tables.
#include <gtest/gtest.h>

#include <fstream>

#include "lib/io/Nifti.h"
#include "tests/io/ManifestFixture.h"
#include "tests/support/TestSupport.h"

using namespace mst;
namespace fs = std::filesystem;

namespace {

const fs::path kTiny = test::tinyExperiment();

// Exit 2, and stderr holds every expected fragment.
void expectInputError(const test::CliResult& r, const std::vector<std::string>& fragments) {
  EXPECT_EQ(r.code, 2) << "stdout: " << r.out << "\nstderr: " << r.err;
  for (const auto& f : fragments) EXPECT_NE(r.err.find(f), std::string::npos) << "missing '" << f << "' in: " << r.err;
}

// An experiment that inherits the tiny one and changes one block.
fs::path variant(const test::TempDir& d, const std::string& body) {
  const fs::path f = d / "variant.toml";
  test::writeFile(f, "inherit = \"" + kTiny.string() + "\"\n" + body);
  return f;
}

std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

}  // namespace

// ---------------------------------------------------------------- inputs that crashed

TEST(InputErrors, TrainValFractionOutOfRange) {
  test::SmallDataset ds;
  const auto m = ds.manifest(ds.header() + ds.row("s01") + ds.row("s02"));
  for (const char* v : {"1.5", "-0.5"}) {
    auto r = test::runCli("train --manifest " + q(m) + " --out " + q(ds.dir / "o") + " --val-fraction " + v);
    expectInputError(r, {"--val-fraction: expected a share in [0, 1), got " + std::string(v)});
    EXPECT_FALSE(fs::exists(ds.dir / "o" / "cache.h5")) << "nothing may be built before the options are checked";
  }
}

TEST(InputErrors, StatsCiLevelOutsideZeroOne) {
  test::TempDir d;
  test::writeFile(d / "a.csv", "subject,sensitivity\ns1,0.5\ns2,0.7\ns3,0.9\n");
  test::writeFile(d / "b.csv", "subject,sensitivity\ns1,0.4\ns2,0.6\ns3,0.6\n");
  for (const char* v : {"95", "1.5", "0"}) {
    auto r = test::runCli("stats paired --a " + q(d / "a.csv") + " --b " + q(d / "b.csv") + " --ci-level " + v);
    expectInputError(r, {"ci_level: expected a level in (0, 1), e.g. 0.95, got " + std::string(v)});
  }
  auto r = test::runCli("stats paired --a " + q(d / "a.csv") + " --b " + q(d / "b.csv") + " --bootstrap 0");
  expectInputError(r, {"bootstrap: expected >= 1 resamples, got 0"});
}

TEST(InputErrors, ExperimentStatsCiLevelAndBootstrapAreCheckedBeforeAnyWork) {
  test::TempDir d;
  auto r = test::runCli("run " + q(variant(d, "[stats]\nci_level = 95\nbootstrap = -5\n")) + " --dry-run --results " +
                        q(d / "res") + " --data-root " + q(d / "data"));
  expectInputError(r, {"variant.toml: [stats] ci_level: expected a level in (0, 1), e.g. 0.95, got 95",
                       "variant.toml: [stats] bootstrap: expected >= 1 resamples, got -5"});
  EXPECT_FALSE(fs::exists(d / "res"));
  EXPECT_FALSE(fs::exists(d / "data"));
  // A results folder whose experiment.json carries such a value (written by an older version).
  fs::create_directories(d / "old");
  test::writeFile(d / "old" / "experiment.json", R"({"name": "x", "stats": {"ci_level": 95}, "arms": []})");
  r = test::runCli("report " + q(d / "old"));
  expectInputError(r, {(d / "old" / "experiment.json").string() + "': stats.ci_level: expected a level in (0, 1)"});
}

TEST(InputErrors, TransformOfUnknownType) {
  test::SmallDataset ds;
  test::writeFile(ds.dir / "bad.tfm",
                  "#Insight Transform File V1.0\n#Transform 0\nTransform: AffineTransform\n"
                  "Parameters: 1 0 0 0 1 0 0 0 1 0 0 0\nFixedParameters: 0 0 0\n");
  const auto m = ds.manifest("subject,session,flair,flair_transform,label\ns01,1,s01_flair.nii.gz,bad.tfm,s01_label.nii.gz\n");
  auto r = test::runCli("manifest check " + q(m));
  expectInputError(r, {"m.csv:2: column 'flair_transform': '" + (ds.dir / "bad.tfm").string() +
                           "': cannot read ITK transform: unknown or malformed transform type"});
  EXPECT_EQ(r.err.find("basic_string"), std::string::npos) << r.err;
}

TEST(InputErrors, ReportOnCorruptRunJsonNamesTheFile) {
  test::TempDir d;
  fs::create_directories(d / "exp" / "runs" / "r1");
  test::writeFile(d / "exp" / "experiment.json", R"({"name": "x", "stats": {}, "arms": []})");
  test::writeFile(d / "exp" / "plan.json", R"({"runs": ["r1"], "sources": []})");
  test::writeFile(d / "exp" / "runs" / "r1" / "run.json", "{\"id\": \"r1\", \"status\": ");
  test::writeFile(d / "exp" / "runs" / "r1" / "per_study.csv", "subject,sensitivity\ns1,1\n");
  auto r = test::runCli("report " + q(d / "exp"));
  expectInputError(r, {(d / "exp" / "runs" / "r1" / "run.json").string() + "' is not valid JSON"});
  test::writeFile(d / "exp" / "experiment.json", "{ \"name\": ");
  r = test::runCli("report " + q(d / "exp"));
  expectInputError(r, {(d / "exp" / "experiment.json").string() + "': not valid JSON"});
}

// ---------------------------------------------------------------- inputs accepted silently

TEST(InputErrors, LesionFractionAboveOne) {
  test::TempDir d;
  auto r = test::runCli("run " + q(variant(d, "[train]\nlesion_fraction = 2\nmomentum = 1.5\n")) + " --dry-run");
  expectInputError(r, {"lesion_fraction: expected a share in [0, 1], got 2", "momentum: expected [0, 1), got 1.5"});
}

TEST(InputErrors, SynthCountSpacingAndSeed) {
  test::TempDir d;
  const std::string base = "synth --cohort ms_flair --out " + q(d / "s");
  expectInputError(test::runCli(base + " --count 0"), {"--count: expected >= 1 studies, got 0"});
  expectInputError(test::runCli(base + " --count 2 --spacing -2"),
                   {"--spacing: expected a voxel size in mm, 0 < spacing <= 20, got -2"});
  expectInputError(test::runCli(base + " --count 2 --seed -1"), {"--seed: expected a non-negative integer, got '-1'"});
  EXPECT_FALSE(fs::exists(d / "s"));
  // The same rule for experiment files.
  auto r = test::runCli("run " + q(variant(d, "[test]\nseed = -1\n")) + " --dry-run");
  expectInputError(r, {"[test] seed: expected a non-negative integer seed, got -1"});
}

TEST(InputErrors, MisspeltLabelColumnIsNotSilentlyAnInputChannel) {
  test::SmallDataset ds;
  const auto m = ds.manifest("subject,session,flair,lable\ns01,1,s01_flair.nii.gz,s01_label.nii.gz\n");
  auto r = test::runCli("manifest check " + q(m));
  expectInputError(r, {"m.csv:1: column 'lable' is read as an image channel; did you mean 'label'?"});
  const auto m2 = ds.manifest("subject,session,flair,label,brain_mask\ns01,1,s01_flair.nii.gz,s01_label.nii.gz,s01_brain.nii.gz\n", "m2.csv");
  r = test::runCli("manifest check " + q(m2));
  expectInputError(r, {"column 'brain_mask' is read as an image channel; did you mean 'brainmask'?"});
  // Real channel names are not flagged.
  const auto ok = ds.manifest("subject,session,flair,t1,label\ns01,1,s01_flair.nii.gz,s01_flair.nii.gz,s01_label.nii.gz\n", "ok.csv");
  r = test::runCli("manifest check " + q(ok));
  EXPECT_EQ(r.code, 0) << r.err;
}

// ---------------------------------------------------------------- bad files that passed elsewhere

TEST(InputErrors, TruncatedGzipIsRefusedByEvaluateAndPreprocess) {
  test::SmallDataset ds;
  std::string bytes;
  {
    std::ifstream f(ds.dir / "s01_label.nii.gz", std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(f), {});
  }
  test::writeFile(ds.dir / "cut.nii.gz", bytes.substr(0, bytes.size() * 2 / 3));
  auto r = test::runCli("evaluate --pred " + q(ds.dir / "cut.nii.gz") + " --truth " + q(ds.dir / "s01_label.nii.gz"));
  expectInputError(r, {(ds.dir / "cut.nii.gz").string() + "': truncated"});
  {
    std::ifstream f(ds.dir / "s01_flair.nii.gz", std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(f), {});
  }
  test::writeFile(ds.dir / "cutflair.nii.gz", bytes.substr(0, bytes.size() - 6));
  const auto m = ds.manifest("subject,session,flair,label\ns01,1,cutflair.nii.gz,s01_label.nii.gz\n");
  r = test::runCli("preprocess --manifest " + q(m) + " --cache " + q(ds.dir / "c.h5") + " --threads 1");
  expectInputError(r, {(ds.dir / "cutflair.nii.gz").string() + "': truncated"});
  EXPECT_FALSE(fs::exists(ds.dir / "c.h5")) << "nothing half-written";
}

TEST(InputErrors, NanImageIsRefusedByPreprocess) {
  test::SmallDataset ds;
  FloatVolume img(test::cubeGeometry(8, 1.0), 1.0f);
  img.at(2, 2, 2) = std::numeric_limits<float>::quiet_NaN();
  io::writeImage(ds.dir / "nan.nii.gz", img);
  const auto m = ds.manifest("subject,session,flair,label\ns01,1,nan.nii.gz,s01_label.nii.gz\n");
  auto r = test::runCli("preprocess --manifest " + q(m) + " --cache " + q(ds.dir / "c.h5") + " --threads 1");
  expectInputError(r, {(ds.dir / "nan.nii.gz").string() + "': 1 NaN/Inf voxels, expected none"});
  EXPECT_FALSE(fs::exists(ds.dir / "c.h5"));
}

TEST(InputErrors, EvaluateRefusesAProbabilityMapWithoutThreshold) {
  test::TempDir d;
  FloatVolume prob(test::cubeGeometry(8), 0.0f);
  MaskVolume truth(test::cubeGeometry(8), 0);
  prob.at(1, 1, 1) = 0.3f;
  prob.at(5, 5, 5) = 0.8f;
  truth.at(5, 5, 5) = 1;
  io::writeImage(d / "prob.nii.gz", prob);
  io::writeMask(d / "t.nii.gz", truth);
  auto r = test::runCli("evaluate --pred " + q(d / "prob.nii.gz") + " --truth " + q(d / "t.nii.gz"));
  expectInputError(r, {(d / "prob.nii.gz").string() + "': prediction is not a binary mask (found the value 0.3)",
                       "give --threshold"});
  // With a threshold: one true positive, no false positive (0.3 < 0.5).
  r = test::runCli("evaluate --pred " + q(d / "prob.nii.gz") + " --truth " + q(d / "t.nii.gz") + " --threshold 0.5 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("\"n_pred\": 1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"f1\": 1"), std::string::npos) << r.out;
}

TEST(InputErrors, ManifestCheckReportsRowAndFileProblemsTogether) {
  test::SmallDataset ds;
  // Line 2: an empty label cell (a row problem); line 3: a missing image file (a file problem).
  const auto m = ds.manifest("subject,session,flair,label\ns01,1,s01_flair.nii.gz,\ns02,1,missing.nii.gz,s02_label.nii.gz\n");
  auto r = test::runCli("manifest check " + q(m));
  expectInputError(r, {"m.csv:2: column 'label': empty, expected a mask path",
                       "m.csv:3: column 'flair': '" + (ds.dir / "missing.nii.gz").string() + "': file not found"});
}

// ---------------------------------------------------------------- an installed binary

// Issue 15: the figure script's path was compiled into the binary, so an installed or copied binary
// wrote no figures. `cmake --install` puts the script under PREFIX/share/mstransfer, where the
// installed binary finds it relative to itself, and the report then draws the figure.
TEST(Install, AnInstalledBinaryFindsItsFigureScriptAndDrawsFigures) {
  test::TempDir d("mst-install");
  const fs::path buildDir = fs::path(MST_TEST_BIN).parent_path().parent_path();
  const std::string cmd = "cmake --install '" + buildDir.string() + "' --prefix '" + (d / "prefix").string() +
                          "' >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  const fs::path bin = d / "prefix" / "bin" / "mstransfer";
  ASSERT_TRUE(fs::exists(bin));
  ASSERT_TRUE(fs::exists(d / "prefix" / "share" / "mstransfer" / "plot_results.py"));
  const std::string q1 = "'" + bin.string() + "' --version > '" + (d / "v.txt").string() + "'";
  ASSERT_EQ(std::system(q1.c_str()), 0);
  EXPECT_NE(test::readFile(d / "v.txt").find("figure script: " + (d / "prefix" / "share" / "mstransfer" / "plot_results.py").string()),
            std::string::npos)
      << test::readFile(d / "v.txt");
  // A two-arm result with one study per arm and size, reported by the installed binary.
  const fs::path exp = d / "res" / "x";
  test::writeFile(exp / "experiment.json",
                  R"({"name": "x", "task": "x", "stats": {"metrics": ["sensitivity", "ppv"], "reference_arm": "a", "bootstrap": 50},
                      "arms": [{"name": "a"}, {"name": "b"}]})");
  std::string runs;
  for (const char* arm : {"a", "b"})
    for (int n : {2, 4}) {
      const std::string id = std::string(arm) + "-n" + std::to_string(n);
      runs += std::string(runs.empty() ? "" : ", ") + "\"" + id + "\"";
      test::writeFile(exp / "runs" / id / "per_study.csv", "subject,sensitivity,ppv\ns1,0.5,0.5\ns2,0.7,0.6\ns3,0.9,0.8\n");
      test::writeFile(exp / "runs" / id / "run.json", "{\"id\": \"" + id + "\", \"arm\": \"" + arm + "\", \"train_size\": " +
                                                          std::to_string(n) + ", \"repeat\": 1, \"status\": \"done\"}");
    }
  test::writeFile(exp / "plan.json", "{\"runs\": [" + runs + "], \"sources\": []}");
  const std::string q2 = "'" + bin.string() + "' report '" + exp.string() + "' > '" + (d / "r.txt").string() + "' 2>&1";
  ASSERT_EQ(std::system(q2.c_str()), 0) << test::readFile(d / "r.txt");
  EXPECT_TRUE(fs::exists(exp / "figure.png")) << test::readFile(d / "r.txt");
}
