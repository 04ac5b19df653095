#include <gtest/gtest.h>

#include "lib/core/Csv.h"
#include "lib/core/Error.h"

using namespace mst;

TEST(CsvParser, ReadsQuotedFieldsWithCommasAndDoubledQuotes) {
  CsvTable t = parseCsv("a,b\n\"x,1\",\"say \"\"hi\"\"\"\n", "t.csv");
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_EQ(t.rows[0][0], "x,1");
  EXPECT_EQ(t.rows[0][1], "say \"hi\"");
  EXPECT_EQ(t.lines[0], 2);
}

TEST(CsvParser, HandlesCrlfAndBlankLinesAndTrimsUnquotedSpaces) {
  CsvTable t = parseCsv("a, b\r\n 1 ,2\r\n\r\n3,4\r\n", "t.csv");
  EXPECT_EQ(t.header[1], "b");
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0][0], "1");
  EXPECT_EQ(t.lines[1], 4);
}

TEST(CsvParser, ReportsEveryRowWithWrongFieldCountWithFileAndLine) {
  try {
    parseCsv("a,b\n1\n2,3\n4,5,6\n", "m.csv");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    ASSERT_EQ(e.problems().size(), 2u);
    EXPECT_EQ(e.problems()[0], "m.csv:2: expected 2 fields (as in the header), found 1");
    EXPECT_EQ(e.problems()[1], "m.csv:4: expected 2 fields (as in the header), found 3");
  }
}

TEST(CsvParser, RejectsUnterminatedQuote) {
  EXPECT_THROW(parseCsv("a\n\"open\n", "q.csv"), InputError);
}

TEST(CsvWriter, QuotesOnlyWhenNeededAndRoundTrips) {
  EXPECT_EQ(csvLine({"plain", "a,b", "q\"x"}), "plain,\"a,b\",\"q\"\"x\"\n");
  CsvTable t = parseCsv("h1,h2,h3\n" + csvLine({"plain", "a,b", "q\"x"}), "r.csv");
  EXPECT_EQ(t.rows[0][1], "a,b");
  EXPECT_EQ(t.rows[0][2], "q\"x");
}
