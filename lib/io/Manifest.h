// Data manifests: one CSV row per study.
//
// Columns (header names, any order):
//   subject            required, non-empty
//   session            optional column; subject+session must be unique
//   <channel>          every other column is an input channel (e.g. flair,
//                      flair_prior, t1, t1post, t2), named as experiments
//                      refer to them; names are [a-z0-9_]+
//   label              optional column; binary lesion mask (nonzero = lesion)
//   brainmask          optional column
//   <channel>_transform optional; ITK transform file mapping points of the
//                      reference grid into that channel's image
//   reference          optional; the image whose grid the study is resampled onto
// Relative paths resolve against the manifest's folder. An empty cell in an
// optional column means "none" for that study, except label and channels,
// which must be given in every row when their column exists.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "lib/core/Error.h"

namespace mst::io {

namespace fs = std::filesystem;

struct StudyRow {
  int line = 0;  // line in the CSV file (header = 1)
  std::string subject;
  std::string session;
  std::vector<std::pair<std::string, fs::path>> channels;  // column order, resolved paths
  std::map<std::string, fs::path> transforms;              // channel -> transform file
  fs::path label, brainmask, reference;

  std::string id() const { return session.empty() ? subject : subject + "_" + session; }
  const fs::path* channel(const std::string& name) const;
};

struct Manifest {
  fs::path file;  // the CSV file
  fs::path dir;   // folder that relative paths resolve against
  std::vector<std::string> channels;
  bool hasSession = false, hasLabel = false, hasBrainmask = false, hasReference = false;
  std::vector<StudyRow> rows;

  const StudyRow* find(const std::string& subject, const std::string& session) const;
  // Throws InputError listing every channel in `names` that the manifest lacks.
  void requireChannels(const std::vector<std::string>& names) const;
};

// Parses the CSV and checks its structure (columns, empty cells, duplicate
// subject+session). Every problem is collected; throws one InputError with
// all of them, each prefixed "file:line:".
// A column name that looks like a misspelt reserved column (e.g. 'lable',
// 'brain_mask') is a problem: it would silently become an input channel.
Manifest readManifest(const fs::path& file);
// As readManifest, but collects the problems instead of throwing, and returns
// every row it could parse (for `manifest check`, which then checks the files
// of those rows too and reports everything at once).
Manifest readManifest(const fs::path& file, ProblemList& problems);

// Writes a manifest; paths are written relative to the output file's folder
// when they lie below it, absolute otherwise. Atomic.
void writeManifest(const fs::path& file, const Manifest& manifest);

struct CheckOptions {
  bool readVoxels = true;  // decode every image (detects corrupt data, NaN/Inf); else headers only
  std::vector<std::string> requiredChannels;
  bool requireLabel = false;
  bool progress = true;
};

struct CheckReport {
  std::vector<std::string> problems;  // each "file:line: column 'x': ..."
  std::vector<std::string> notes;     // legal but worth knowing (empty labels, non-binary masks)
  int studies = 0;
  bool ok() const { return problems.empty(); }
};

// Checks every file of every study and reports all problems at once:
// missing/unreadable/corrupt files, NaN/Inf voxels, unreadable transforms,
// a label or brain mask whose grid differs from the image when no transform
// or reference is given, images of one study that do not overlap in
// physical space. Never throws for data problems.
CheckReport checkManifest(const Manifest& manifest, const CheckOptions& options = {});

// Builds a manifest from a known folder layout (see layouts()). Throws
// InputError listing every missing file.
Manifest scanLayout(const std::string& layout, const fs::path& root);
std::vector<std::pair<std::string, std::string>> layouts();  // name, description

// A manifest of a plain folder of images named as nnU-Net names them: CASE_0000.nii.gz, CASE_0001.nii.gz,
// ... one file per channel, index i being channels[i]. Throws one InputError listing every problem: no
// such file at all, a case missing a channel, an index beyond the channels, channel images of one case
// on different grids (a folder has no transforms: give a manifest with <channel>_transform instead).
Manifest scanImageFolder(const fs::path& dir, const std::vector<std::string>& channels);

}  // namespace mst::io
