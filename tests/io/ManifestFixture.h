// A small valid dataset on disk: two studies with flair, label and brain mask.
#pragma once

#include <limits>

#include "lib/io/Nifti.h"
#include "lib/io/Transform.h"
#include "tests/support/TestSupport.h"

namespace mst::test {

struct SmallDataset {
  TempDir dir{"mst-manifest"};
  SmallDataset() {
    for (const char* s : {"s01", "s02"}) {
      FloatVolume img(cubeGeometry(8, 1.0), 1.0f);
      img.at(4, 4, 4) = 3.0f;
      io::writeImage(dir / (std::string(s) + "_flair.nii.gz"), img);
      MaskVolume lab(cubeGeometry(8, 1.0), 0);
      lab.at(4, 4, 4) = 1;
      io::writeMask(dir / (std::string(s) + "_label.nii.gz"), lab);
      MaskVolume brain(cubeGeometry(8, 1.0), 1);
      io::writeMask(dir / (std::string(s) + "_brain.nii.gz"), brain);
    }
  }
  fs::path manifest(const std::string& body, const std::string& name = "m.csv") {
    writeFile(dir / name, body);
    return dir / name;
  }
  static std::string header() { return "subject,session,flair,label,brainmask\n"; }
  static std::string row(const std::string& s, const std::string& session = "1") {
    return s + "," + session + "," + s + "_flair.nii.gz," + s + "_label.nii.gz," + s + "_brain.nii.gz\n";
  }
};

}  // namespace mst::test
