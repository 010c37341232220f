#include "kagami/console/csv_table.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace kagami::console {
namespace {

using nlohmann::json;

TEST(CsvTable, OneColumnPerFieldWithTheIdAndTimeFirst) {
  const json rows = json::parse(R"json([
    {"name": "顧客リスト.xlsx", "ts": "2026-11-02T10:00:00.000+09:00", "id": 7},
    {"id": 8, "ts": "2026-11-02T10:01:00.000+09:00", "rcpt_to": ["a@example.com", "b@example.com"],
     "extra": {"k": 1}}
  ])json");
  EXPECT_EQ(csv_table(rows),
            "\xEF\xBB\xBFid,ts,name,extra,rcpt_to\r\n"
            "7,2026-11-02T10:00:00.000+09:00,顧客リスト.xlsx,,\r\n"
            "8,2026-11-02T10:01:00.000+09:00,,\"{\"\"k\"\":1}\",a@example.com; b@example.com\r\n");
}

TEST(CsvTable, QuotesWhatNeedsItAndDisarmsFormulas) {
  const json rows = json::parse(R"json([
    {"a": "x,y", "b": "say \"hi\"", "c": "line\nbreak", "d": "=HYPERLINK(\"http://evil\")",
     "e": "+1", "f": -5, "g": "@SUM(A1)", "h": "-2+3"}
  ])json");
  const std::string csv = csv_table(rows);
  EXPECT_NE(csv.find("\"x,y\",\"say \"\"hi\"\"\",\"line\nbreak\""), std::string::npos) << csv;
  EXPECT_NE(csv.find(",\"'=HYPERLINK(\"\"http://evil\"\")\","), std::string::npos) << csv;
  EXPECT_NE(csv.find(",'+1,-5,'@SUM(A1),'-2+3\r\n"), std::string::npos) << csv;  // numbers stay
}

TEST(CsvTable, NoRowsIsAnEmptyTable) { EXPECT_EQ(csv_table(json::array()), "\xEF\xBB\xBF\r\n"); }

}  // namespace
}  // namespace kagami::console
