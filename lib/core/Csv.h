// CSV reading and writing (RFC 4180: comma separator, double-quote quoting,
// quotes doubled inside quoted fields). Lines are 1-based and count the header
// as line 1, so errors can name "file.csv:17".
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace mst {

struct CsvTable {
  std::filesystem::path file;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<int> lines;  // source line of each row

  // Column index or -1.
  int column(const std::string& name) const;
};

// Parses CSV text; throws InputError (naming `file` and line) on malformed
// quoting or rows whose field count differs from the header's.
CsvTable parseCsv(const std::string& text, const std::filesystem::path& file);
CsvTable readCsv(const std::filesystem::path& file);

std::string csvEscape(const std::string& field);
std::string csvLine(const std::vector<std::string>& fields);
// A number as CSV files here write it: "%.6g", empty when not finite.
std::string csvNumber(double v);  // "%.10g"; empty when not finite

}  // namespace mst
