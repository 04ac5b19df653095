// Opt-in (needs ../shared): a model trained only on the built-in ms_flair cohort, with the demo's
// settings (experiments/demo/base.toml: early stopping on the demo's validation set), predicts real
// FLAIR through a manifest and the framework's own preprocessing, and is scored with the lesion-wise
// metrics (criterion any, 26-connectivity) against the consensus mask of ../shared's cross-sectional
// patient. research/sim_to_real.py reports the same figures; docs/SYNTH.md records them.
#include <gtest/gtest.h>

#include <cstdio>

#include "lib/core/Csv.h"
#include "lib/io/Nifti.h"
#include "tests/support/TestSupport.h"

using namespace mst;
namespace fs = std::filesystem;

TEST(SimToReal, AModelTrainedOnThePhantomsFindsLesionsInRealFlair) {
  if (!test::sharedDataPresent()) GTEST_SKIP() << "../shared/data/open_ms_data not present";
  test::TempDir d;
  test::writeFile(d / "s2r.toml", "inherit = \"" + std::string(MST_SOURCE_DIR) + "/experiments/demo/base.toml\"\n"
                                  "name = \"sim_to_real\"\nreplace_arms = true\n"
                                  "[data]\ncohort = \"ms_flair\"\nchannels = [\"flair\"]\n"
                                  "[test]\ncount = 8\nseed = 7\n[sweep]\ntrain_sizes = [20]\nrepeats = 1\n"
                                  "[[arms]]\nname = \"de_novo\"\ninit = \"scratch\"\n");
  auto r = test::runCli("run '" + (d / "s2r.toml").string() + "' --results '" + (d / "res").string() +
                        "' --data-root '" + (d / "data").string() + "' --jobs 1 --threads 1 --no-progress --no-report");
  ASSERT_EQ(r.code, 0) << r.err;
  fs::path model;
  for (const auto& e : fs::directory_iterator(d / "res" / "_shared" / "runs"))
    if (fs::is_directory(e.path())) model = e.path() / "model" / "best.pt";
  ASSERT_TRUE(fs::exists(model));
  EXPECT_NE(test::readFile(fs::path(model.string() + ".json")).find("\"trained_spacing_mm\": [\n    2.0"),
            std::string::npos);

  const fs::path p07 = test::sharedData() / "cross_sectional" / "patient07";
  test::writeFile(d / "real.csv", "subject,session,flair,label\npatient07,1," + (p07 / "FLAIR.nii.gz").string() + "," +
                                      (p07 / "consensus_gt.nii.gz").string() + "\n");
  r = test::runCli("predict --model '" + model.string() + "' --manifest '" + (d / "real.csv").string() + "' --out '" +
                   (d / "pred").string() + "' --threads 1");
  ASSERT_EQ(r.code, 0) << r.err;
  // The 1 mm input is predicted at the 2 mm the model was trained at and written back at 1 mm.
  EXPECT_NE(r.err.find("resampling inputs to the model's training spacing 2 x 2 x 2 mm"), std::string::npos) << r.err;
  EXPECT_TRUE(io::readImageInfo(d / "pred" / "patient07_1_mask.nii.gz").geom.sameGrid(io::readImageInfo(p07 / "FLAIR.nii.gz").geom));
  r = test::runCli("evaluate --pred-dir '" + (d / "pred").string() + "' --manifest '" + (d / "real.csv").string() +
                   "' --out '" + (d / "eval.csv").string() + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  const CsvTable t = readCsv(d / "eval.csv");
  ASSERT_EQ(t.rows.size(), 1u);
  auto cell = [&](const char* c) { return t.rows[0].at(static_cast<size_t>(t.column(c))); };
  EXPECT_EQ(cell("n_truth"), "37");  // the consensus mask's lesions, 26-connected (RealMasks tests count them too)
  const double sens = std::stod(cell("sensitivity")), f1 = cell("f1").empty() ? 0.0 : std::stod(cell("f1"));
  std::printf("sim-to-real on patient07: %s true, %s predicted lesions; sensitivity %.3f, PPV %s, F1 %.3f\n",
              cell("n_truth").c_str(), cell("n_pred").c_str(), sens, cell("ppv").c_str(), f1);
  RecordProperty("lesion_f1", std::to_string(f1));
  // What the phantoms teach today (docs/SYNTH.md): real lesions are found, far from issue 16's F1 >= 0.5.
  EXPECT_GT(sens, 0.0);
}
