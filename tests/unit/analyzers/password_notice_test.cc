#include "kagami/analyzers/mail/password_notice.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace kagami::analyzers {
namespace {

std::vector<std::string> values(const std::string& text) {
  std::vector<std::string> out;
  for (const PasswordSpan& p : find_passwords(text)) out.push_back(p.value);
  return out;
}

// How password notices are written in Japanese offices and elsewhere, and the value each gives
// first.
struct Notice {
  const char* text;
  const char* password;
};
const Notice kNotices[] = {
    {"先ほどお送りしたファイルのパスワードです。\nパスワード：Xy7#kP2q\n", "Xy7#kP2q"},
    {"パスワード: Xy7#kP2q", "Xy7#kP2q"},
    {"パスワードは「Xy7#kP2q」です。", "Xy7#kP2q"},
    {"パスワードは『Xy7 kP2q』です。", nullptr},  // a space cannot be in a quoted value here
    {"【パスワード】Xy7#kP2q", "Xy7#kP2q"},
    {"■パスワード\nXy7#kP2q\n", "Xy7#kP2q"},
    {"解凍パスワード：Xy7#kP2q", "Xy7#kP2q"},
    {"ﾊﾟｽﾜｰﾄﾞ：Xy7#kP2q", "Xy7#kP2q"},
    {"パスワード：Ｘｙ７＃ｋＰ２ｑ", "Xy7#kP2q"},  // typed in full width, typed back in ASCII
    {"ＰＷ：Ab12cd34", "Ab12cd34"},
    {"PW: Ab12cd34", "Ab12cd34"},
    {"pwd=Ab12cd34", "Ab12cd34"},
    {"Password: Ab12cd34.", "Ab12cd34."},  // tried with and without the full stop
    {"The password is: Ab12cd34", "Ab12cd34"},
    {"パスワード（半角英数）：Ab12cd34", "Ab12cd34"},
    {"パス：20261206", "20261206"},
    {"下記パスワードで解凍してください。\n\n  Xy7#kP2q  \n\nよろしくお願いいたします。",
     "Xy7#kP2q"},
    {"パスワードは以下の通りです。\n--------------------\nXy7#kP2q\n--------------------\n",
     "Xy7#kP2q"},
    {"パスワードは以下の通りです。\n＝＝＝＝＝＝\n「Xy7#kP2q」\n", "Xy7#kP2q"},
    {"暗証番号：482913", "482913"},
    {"Passwords:\n\n  \"Ab12cd34\"\n", "Ab12cd34"},
};

TEST(PasswordNotice, FindsThePasswordAsOfficesWriteIt) {
  for (const Notice& n : kNotices) {
    const auto got = values(n.text);
    if (n.password == nullptr) {
      EXPECT_TRUE(got.empty()) << n.text << " gave " << (got.empty() ? "" : got[0]);
      continue;
    }
    ASSERT_FALSE(got.empty()) << n.text;
    EXPECT_EQ(got[0], n.password) << n.text;
  }
}

TEST(PasswordNotice, ATrailingFullStopIsTriedBothWays) {
  const auto got = values("Password: Ab12cd34.");
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1], "Ab12cd34");
}

TEST(PasswordNotice, TextWithoutAPasswordGivesNone) {
  for (const char* text : {
           "お世話になっております。資料を添付いたします。",
           "パスポート番号：TK1234567",          // パスポート is not パス
           "Please pass the report to Suzuki.",  // "pass" as a verb, no value after a separator
           "The passport number is TK1234567",
           "パスワードは別途お送りします。",  // the value is not in this message
           "Password: will follow in a separate mail",
           "パスワード：https://example.com/reset",  // a link is not a password
           "PW: tanaka@example.co.jp",
           "パスタ：1234",
       })
    EXPECT_TRUE(values(text).empty()) << text << " gave " << values(text)[0];
}

TEST(PasswordNotice, MaskingHidesEveryValueAndNothingElse) {
  const std::string text = "パスワード：Xy7#kP2q\nPW: Ab12cd34.\nよろしくお願いします。";
  const auto spans = find_passwords(text);
  const std::string masked = mask_passwords(text, spans);
  EXPECT_EQ(masked, "パスワード：********\nPW: ********\nよろしくお願いします。");
  EXPECT_EQ(masked.find("Xy7"), std::string::npos);
  // Full-width values are masked whole: every byte of every character.
  const std::string wide = "パスワード：Ｘｙ７＃ｋＰ２ｑ です";
  EXPECT_EQ(mask_passwords(wide, find_passwords(wide)), "パスワード：******** です");
}

TEST(PasswordNotice, CandidatesAreBounded) {
  std::string text;
  for (int i = 0; i < 50; ++i) text += "PW: Value" + std::to_string(1000 + i) + "\n";
  PasswordNoticeLimits limits;
  EXPECT_EQ(find_passwords(text, limits).size(), limits.max_candidates);
  // A long body is read only so far.
  std::string padded(limits.max_text_bytes, 'x');
  padded += "\nPW: Ab12cd34\n";
  EXPECT_TRUE(find_passwords(padded, limits).empty());
}

}  // namespace
}  // namespace kagami::analyzers
