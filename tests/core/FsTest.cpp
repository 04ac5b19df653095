#include <gtest/gtest.h>

#include "lib/core/Error.h"
#include "lib/core/Fs.h"
#include "tests/support/TestSupport.h"

using namespace mst;
namespace fs = std::filesystem;

TEST(AtomicOutput, LeavesNoFileWhenNotCommitted) {
  test::TempDir dir;
  const fs::path target = dir / "result.csv";
  fs::path temp;
  {
    AtomicOutput out(target);
    temp = out.tempPath();
    test::writeFile(temp, "partial");
    EXPECT_TRUE(fs::exists(temp));
  }
  EXPECT_FALSE(fs::exists(temp));
  EXPECT_FALSE(fs::exists(target));
}

TEST(AtomicOutput, TempNameKeepsExtensionAndCommitRenames) {
  test::TempDir dir;
  const fs::path target = dir / "pred.nii.gz";
  AtomicOutput out(target);
  EXPECT_EQ(out.tempPath().parent_path(), target.parent_path());
  EXPECT_NE(out.tempPath().filename().string().find(".nii.gz"), std::string::npos);
  test::writeFile(out.tempPath(), "x");
  out.commit();
  EXPECT_TRUE(fs::exists(target));
  EXPECT_FALSE(fs::exists(out.tempPath()));
}

TEST(ReadText, MissingFileIsInputErrorNamingTheFile) {
  try {
    readText("/nonexistent/file.toml");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), "'/nonexistent/file.toml': cannot open file");
  }
}

TEST(ResolveAgainst, RelativePathsResolveAgainstBaseAbsoluteStay) {
  EXPECT_EQ(resolveAgainst("/data/m", "img/a.nii.gz"), fs::path("/data/m/img/a.nii.gz"));
  EXPECT_EQ(resolveAgainst("/data/m", "../b.nii"), fs::path("/data/b.nii"));
  EXPECT_EQ(resolveAgainst("/data/m", "/abs/c.nii"), fs::path("/abs/c.nii"));
}
