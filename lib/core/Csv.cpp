#include "lib/core/Csv.h"

#include <cmath>
#include <cstdio>

#include "lib/core/Error.h"
#include "lib/core/Fs.h"

namespace mst {

int CsvTable::column(const std::string& name) const {
  for (size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return static_cast<int>(i);
  return -1;
}

static std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
  return s.substr(b, e - b);
}

CsvTable parseCsv(const std::string& text, const std::filesystem::path& file) {
  CsvTable t;
  t.file = file;
  ProblemList problems;
  std::vector<std::string> fields;
  std::string field;
  bool inQuotes = false, wasQuoted = false, any = false;
  int line = 1, recordLine = 1;
  auto endRecord = [&]() {
    fields.push_back(wasQuoted ? field : trim(field));
    field.clear();
    wasQuoted = false;
    bool blank = fields.size() == 1 && fields[0].empty();
    if (!blank) {
      if (t.header.empty()) {
        t.header = fields;
      } else if (fields.size() != t.header.size()) {
        problems.add(file.string() + ":" + std::to_string(recordLine) + ": expected " +
                     std::to_string(t.header.size()) + " fields (as in the header), found " +
                     std::to_string(fields.size()));
      } else {
        t.rows.push_back(fields);
        t.lines.push_back(recordLine);
      }
    }
    fields.clear();
    any = false;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (!any) { recordLine = line; any = true; }
    if (inQuotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') { field += '"'; ++i; }
        else inQuotes = false;
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"') {
      if (!trim(field).empty()) {
        problems.add(file.string() + ":" + std::to_string(line) + ": quote inside an unquoted field");
      }
      field.clear();
      inQuotes = true;
      wasQuoted = true;
    } else if (c == ',') {
      fields.push_back(wasQuoted ? field : trim(field));
      field.clear();
      wasQuoted = false;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      endRecord();
      ++line;
    } else {
      field += c;
    }
  }
  if (inQuotes) problems.add(file.string() + ":" + std::to_string(recordLine) + ": unterminated quoted field");
  else if (any) endRecord();
  if (t.header.empty()) problems.add(file.string() + ": empty file, expected a header line");
  problems.throwIfAny();
  return t;
}

CsvTable readCsv(const std::filesystem::path& file) { return parseCsv(readText(file), file); }

std::string csvEscape(const std::string& f) {
  if (f.find_first_of(",\"\n\r") == std::string::npos) return f;
  std::string out = "\"";
  for (char c : f) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string csvLine(const std::vector<std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) out += ',';
    out += csvEscape(fields[i]);
  }
  return out + "\n";
}

std::string csvNumber(double v) {
  if (!std::isfinite(v)) return "";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

}  // namespace mst
