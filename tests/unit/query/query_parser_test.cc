#include "kagami/query/query_parser.h"

#include <string>

#include <gtest/gtest.h>

namespace kagami::query {
namespace {

std::string parsed(const std::string& q) {
  Node n;
  QueryError e;
  if (!parse_query(q, n, e)) return "ERROR@" + std::to_string(e.pos) + ": " + e.message;
  return to_string(n);
}

QueryError error_of(const std::string& q) {
  Node n;
  QueryError e;
  EXPECT_FALSE(parse_query(q, n, e)) << q;
  return e;
}

TEST(QueryParser, ReadsTermsOperatorsAndPrecedence) {
  EXPECT_EQ(parsed("host:*.example.com AND method:POST"), "(host:*.example.com AND method:POST)");
  // Juxtaposition is AND; AND binds tighter than OR.
  EXPECT_EQ(parsed("user:tanaka file.type:xlsx finding:mynumber"),
            "(user:tanaka AND file.type:xlsx AND finding:mynumber)");
  EXPECT_EQ(parsed("a:1 OR b:2 c:3"), "(a:1 OR (b:2 AND c:3))");
  EXPECT_EQ(parsed("(a:1 OR b:2) c:3"), "((a:1 OR b:2) AND c:3)");
  EXPECT_EQ(parsed("NOT a:1 -b:2"), "(NOT a:1 AND NOT b:2)");
  EXPECT_EQ(parsed("a:1 || b:2 && c:3"), "(a:1 OR (b:2 AND c:3))");
}

TEST(QueryParser, ReadsValuesOfEveryShape) {
  EXPECT_EQ(parsed("time:[2026-11-01 TO 2026-11-02]"), "time:[2026-11-01 TO 2026-11-02]");
  EXPECT_EQ(parsed("time:[\"2026-11-01 10:00\" TO *]"), "time:[2026-11-01 10:00 TO *]");
  EXPECT_EQ(parsed("status:>=500"), "status:>=500");
  EXPECT_EQ(parsed("size:<10M"), "size:<10M");
  EXPECT_EQ(parsed("time:>=\"2026-11-01 10:00\""), "time:>=\"2026-11-01 10:00\"");
  EXPECT_EQ(parsed("time:>= 2026"), "ERROR@5: a comparison needs a value after it");
  EXPECT_EQ(parsed("subject:\"quarterly \\\"report\\\"\""), "subject:\"quarterly \"report\"\"");
  EXPECT_EQ(parsed("ip:2001:db8::/32"), "ip:2001:db8::/32");  // the first colon splits
  EXPECT_EQ(parsed("\"secret plan\" invoice"), "(text:\"secret plan\" AND text:\"invoice\")");
  EXPECT_EQ(parsed("機密"), "text:\"機密\"");
  // A word whose "field" is not a field name stays free text (a URL, a time of day).
  EXPECT_EQ(parsed("10:30"), "10:30");  // a field named "10" — rejected later by the compiler
  EXPECT_EQ(parsed("http://x/y"), "http://x/y");
  EXPECT_EQ(parsed("FIELD:Value"), "field:Value");  // field names are case-insensitive
}

TEST(QueryParser, PointsAtWhatIsWrong) {
  auto e = error_of("method:POST AND (host:x");
  EXPECT_EQ(e.pos, 16u);
  EXPECT_NE(e.message.find("never closed"), std::string::npos);
  e = error_of("a:1 AND");
  EXPECT_EQ(e.pos, 4u);
  EXPECT_NE(e.message.find("AND needs"), std::string::npos);
  e = error_of("a:1 )");
  EXPECT_EQ(e.pos, 4u);
  e = error_of("subject:\"unterminated");
  EXPECT_EQ(e.pos, 8u);
  e = error_of("time:[2026 2027]");
  EXPECT_NE(e.message.find("[A TO B]"), std::string::npos);
  e = error_of("method:");
  EXPECT_NE(e.message.find("no value"), std::string::npos);
  e = error_of("   ");
  EXPECT_NE(e.message.find("empty"), std::string::npos);
  e = error_of(std::string("a:1 b\0c", 8));
  EXPECT_EQ(e.pos, 5u);
  EXPECT_NE(e.message.find("control character"), std::string::npos);
  e = error_of("a:\xff\xfe");
  EXPECT_NE(e.message.find("UTF-8"), std::string::npos);
  e = error_of("()");
  EXPECT_NE(e.message.find("empty parentheses"), std::string::npos);
  const std::string rendered =
      QueryError{16, 1, "this '(' is never closed", "unclosed_paren", {}}.render(
          "method:POST AND (host:x");
  EXPECT_EQ(rendered,
            "column 17: this '(' is never closed\n  method:POST AND (host:x\n"
            "                  ^");
}

TEST(QueryParser, BoundsWhatOneQueryMayAsk) {
  EXPECT_NE(error_of(std::string(kMaxQueryBytes + 1, 'a')).message.find("longer"),
            std::string::npos);
  std::string deep(kMaxDepth + 5, '(');
  deep += "a:1";
  deep += std::string(kMaxDepth + 5, ')');
  EXPECT_NE(error_of(deep).message.find("nested"), std::string::npos);
  std::string nots;
  for (std::size_t i = 0; i < kMaxDepth + 5; ++i) nots += "NOT ";
  EXPECT_NE(error_of(nots + "a:1").message.find("nested"), std::string::npos);
  std::string many;
  for (std::size_t i = 0; i <= kMaxTerms; ++i) many += "w" + std::to_string(i) + " ";
  EXPECT_NE(error_of(many).message.find("terms"), std::string::npos);
}

}  // namespace
}  // namespace kagami::query
