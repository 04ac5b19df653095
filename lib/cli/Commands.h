// The subcommands of `mstransfer`. Each returns the process exit code.
#pragma once

#include <string>
#include <vector>

namespace mst::cli {

using Args = std::vector<std::string>;

int runManifest(const Args& args);  // manifest check|scan
int runEvaluate(const Args& args);  // lesion-wise metrics of one pair or a test set
int runStats(const Args& args);     // stats paired
int runSynth(const Args& args);     // synthetic cohorts
int runPreprocess(const Args& args);  // build/update the HDF5 cache
int runTrain(const Args& args);       // train a U-Net from a manifest
int runPredict(const Args& args);     // sliding-window prediction to NIfTI
int runRun(const Args& args);         // an experiment end to end
int runReport(const Args& args);      // tables and figures from stored runs
int runSlurm(const Args& args);       // a Slurm array job for an experiment

}  // namespace mst::cli
