#include "kagami/query/text_match.h"

#include <map>
#include <string>

#include <gtest/gtest.h>

#include "kagami/store/text_fold.h"

namespace kagami::query {
namespace {

TEST(TextMatch, CutsCharactersNotBytesInThrees) {
  EXPECT_EQ(trigrams("id=72"), (std::vector<std::string>{"id=", "d=7", "=72"}));
  EXPECT_EQ(trigrams("見積書の"), (std::vector<std::string>{"見積書", "積書の"}));
  EXPECT_TRUE(trigrams("ab").empty());
  EXPECT_EQ(fts_phrase("say \"hi\""), "\"say \"\"hi\"\"\"");
}

TEST(TextMatch, LeadsWithTheRarestStretchWhenItSkipsTheLongLists) {
  // As in URLs: "id=" in every row, "d=7" in a tenth, the digits rare.
  const std::map<std::string, std::uint64_t> rows = {
      {"id=", 20'000'000}, {"d=7", 2'000'000}, {"=72", 200'000}, {"724", 72'000},
      {"242", 72'000},     {"423", 72'000},    {"72423", 200}};
  std::vector<std::string> asked;
  const TextRows estimate = [&](std::string_view piece) {
    asked.emplace_back(piece);
    return rows.at(std::string(piece));
  };
  TextMatch m = plan_text_match("id=72423", estimate);
  EXPECT_EQ(m.expression, "\"72423\"");
  EXPECT_TRUE(m.verify);
  EXPECT_EQ(asked.size(), 7u);  // six trigrams, then the lead
  // A lead with too many candidates to test one by one is not taken.
  const TextRows vague = [&](std::string_view piece) -> std::uint64_t {
    return piece == "72423" ? 1'000'000 : rows.at(std::string(piece));
  };
  EXPECT_EQ(plan_text_match("id=72423", vague).expression, "\"id=72423\"");
  // Every piece about as common: the phrase alone walks no more.
  const TextRows even = [](std::string_view) -> std::uint64_t { return 1'000'000; };
  m = plan_text_match("checkout/cart", even);
  EXPECT_EQ(m.expression, "\"checkout/cart\"");
  EXPECT_FALSE(m.verify);
  // Five characters or fewer are their own lead, and nothing is estimated for them.
  asked.clear();
  EXPECT_EQ(plan_text_match("id=72", estimate).expression, "\"id=72\"");
  EXPECT_TRUE(asked.empty());
  EXPECT_EQ(plan_text_match("id=72423", nullptr).expression, "\"id=72423\"");
  // The lead is whole characters.
  const TextRows kana = [](std::string_view piece) -> std::uint64_t {
    return piece == "リスト" || piece == "スト." || piece == "ト.x" || piece == "リスト.x" ? 10
                                                                                           : 5'000;
  };
  EXPECT_EQ(plan_text_match("顧客リスト.xlsx", kana).expression, "\"リスト.x\"");
}

TEST(TextFold, FoldsCaseAsTheTrigramIndexDoes) {
  EXPECT_EQ(store::fold_case("WWW.Example.COM/Path"), "www.example.com/path");
  EXPECT_EQ(store::fold_case("DÉJÀ Vu ΣΊΣΥΦΟΣ"), "déjà vu σίσυφοσ");
  EXPECT_EQ(store::fold_case("見積書"), "見積書");
  EXPECT_EQ(store::fold_case(std::string("A\xff"
                                         "B",
                                         3)),
            std::string("a\xff"
                        "b",
                        3));
  EXPECT_TRUE(store::holds_folded("/Download/Report.XLSX", "report.xlsx"));
  EXPECT_TRUE(store::holds_folded("/Déjà/VU", store::fold_case("DÉJÀ/vu")));
  EXPECT_FALSE(store::holds_folded("/download/report.xls", "report.xlsx"));
  EXPECT_FALSE(store::holds_folded("/plain/ascii", store::fold_case("é")));
  EXPECT_TRUE(store::holds_folded("anything", ""));
}

}  // namespace
}  // namespace kagami::query
