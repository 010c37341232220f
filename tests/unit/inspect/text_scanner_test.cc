#include "kagami/inspect/text_scanner.h"

#include <functional>
#include <map>
#include <random>

#include <gtest/gtest.h>

#include "kagami/content/text_normalizer.h"
#include "kagami/inspect/validators.h"

#include "labelled_cases.h"

namespace kagami::inspect {
namespace {

using namespace fixtures;

class TextScannerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = PatternDatabase::build({});
    ASSERT_TRUE(db) << db.error().message;
    auto s = TextScanner::create(db.value());
    ASSERT_TRUE(s) << s.error().message;
    scanner_ = std::move(s.value());
  }
  // Findings of one text fed in pieces of `chunk` bytes.
  std::vector<Finding> scan(const std::string& text, std::size_t chunk = 1 << 20) {
    scanner_->begin();
    for (std::size_t at = 0; at < text.size(); at += chunk)
      scanner_->feed(std::string_view(text).substr(at, chunk));
    return scanner_->finish();
  }
  // How many values of `d` fire (medium confidence or more: what alerts by default).
  std::uint64_t fired(const std::vector<Finding>& fs, Detector d) {
    std::uint64_t n = 0;
    for (const Finding& f : fs)
      if (f.detector == d && f.confidence >= Confidence::kMedium) n += f.count;
    return n;
  }
  std::unique_ptr<TextScanner> scanner_;
};

TEST_F(TextScannerTest, PrecisionAndRecallOnLabelledFixturesAreAtLeast99Percent) {
  const std::string filler =
      "本日の会議資料を送付します。ご確認のほどよろしくお願いいたします。The quarterly report "
      "is attached for your review. ";
  const std::vector<Case> cases = fixtures::labelled_cases();
  std::mt19937 rng(20261127);
  const int per_case = 300;
  for (const Case& c : cases) {
    int tp = 0, fn = 0, fp = 0;
    for (int i = 0; i < per_case; ++i) {
      const std::string pos = filler + c.positive(rng) + filler;
      const auto n = fired(scan(pos), c.detector);
      if (n >= 1)
        ++tp;
      else
        ++fn;
      if (n > 1) fp += static_cast<int>(n - 1);
      const std::string neg = filler + c.negative(rng) + filler;
      fp += static_cast<int>(fired(scan(neg), c.detector));
    }
    const double precision = tp + fp == 0 ? 1.0 : static_cast<double>(tp) / (tp + fp);
    const double recall = static_cast<double>(tp) / (tp + fn);
    EXPECT_GE(precision, 0.99) << detector_name(c.detector) << " fp " << fp;
    EXPECT_GE(recall, 0.99) << detector_name(c.detector) << " fn " << fn;
  }
}

TEST_F(TextScannerTest, AValueSplitAcrossChunksIsFoundAtEverySplit) {
  const std::string text =
      "マイナンバー: 1234-5678-9018, card 4111 1111 1111 1111, mail "
      "taro@example.co.jp";
  for (std::size_t chunk = 1; chunk <= text.size(); ++chunk) {
    const auto fs = scan(text, chunk);
    EXPECT_EQ(fired(fs, Detector::kJpMyNumber), 1u) << chunk;
    EXPECT_EQ(fired(fs, Detector::kCreditCard), 1u) << chunk;
    EXPECT_EQ(fired(fs, Detector::kEmailAddress), 1u) << chunk;
  }
}

TEST_F(TextScannerTest, ContextCountsOnlyWithinTheWindow) {
  const std::string value = "123456789018";  // a valid My Number
  const auto near = scan("個人番号" + std::string(250, 'x') + " " + value);
  const auto far = scan("個人番号" + std::string(400, 'x') + " " + value);
  const auto after = scan(value + " " + std::string(250, 'y') + "マイナンバー");
  EXPECT_EQ(fired(near, Detector::kJpMyNumber), 1u);
  EXPECT_EQ(fired(far, Detector::kJpMyNumber), 0u);
  EXPECT_EQ(fired(after, Detector::kJpMyNumber), 1u);
  ASSERT_FALSE(far.empty());
  EXPECT_EQ(far[0].confidence, Confidence::kLow);  // found, but not alerting
  EXPECT_EQ(far[0].sample, "********9018");
}

TEST_F(TextScannerTest, CountsManyValuesAndNeverShowsOneWhole) {
  std::mt19937 rng(7);
  std::string text = "マイナンバー一覧\n";
  std::vector<std::string> values;
  for (int i = 0; i < 50; ++i) {
    values.push_back(my_number(rng, true));
    text += "社員" + std::to_string(i) + "," + values.back() + "\n";
  }
  const auto fs = scan(text, 37);
  EXPECT_EQ(fired(fs, Detector::kJpMyNumber), 50u);
  for (const Finding& f : fs)
    for (const std::string& v : values) EXPECT_EQ(f.sample.find(v), std::string::npos);
}

TEST_F(TextScannerTest, ConfidentialityMarkersAreKeywordFindings) {
  const auto fs = scan("【社外秘】本資料は CONFIDENTIAL です。社外秘");
  std::map<std::string, std::uint64_t> words;
  for (const Finding& f : fs)
    if (f.detector == Detector::kKeyword) words[f.name] += f.count;
  EXPECT_EQ(words["社外秘"], 2u);
  EXPECT_EQ(words["confidential"], 1u);
}

TEST_F(TextScannerTest, FullWidthValuesMatchAfterNormalisation) {
  const std::string typed =
      "マイナンバー：１２３４－５６７８－９０１８、ＴＥＬ ０３ー１２３４ー５６７８";
  const std::string text = content::TextNormalizer::normalize(
      ByteView(reinterpret_cast<const std::uint8_t*>(typed.data()), typed.size()));
  const auto fs = scan(text);
  EXPECT_EQ(fired(fs, Detector::kJpMyNumber), 1u) << text;
  EXPECT_EQ(fired(fs, Detector::kJpPhone), 1u) << text;
  EXPECT_EQ(fired(scan(typed), Detector::kJpMyNumber), 0u);  // not without it
}

TEST_F(TextScannerTest, NumbersInsideBase64AreNotValues) {
  std::string text = "カード番号 マイナンバー\n";
  for (int i = 0; i < 50; ++i) text += "QUJD/4111111111111111+ZGVm/123456789018+aGlqa2xt\n";
  EXPECT_EQ(fired(scan(text), Detector::kCreditCard), 0u);
  EXPECT_EQ(fired(scan(text), Detector::kJpMyNumber), 0u);
  // A form field or a path segment is still a value.
  EXPECT_EQ(fired(scan("mynumber=123456789018&card=4111111111111111"), Detector::kJpMyNumber), 1u);
  EXPECT_EQ(fired(scan("マイナンバー /staff/123456789018/edit"), Detector::kJpMyNumber), 1u);
}

TEST(TextScannerOptions, DisabledDetectorsAreLeftOutOfTheDatabase) {
  DetectorOptions o;
  o.disabled = {Detector::kEmailAddress, Detector::kKeyword};
  auto db = PatternDatabase::build(o);
  ASSERT_TRUE(db);
  auto s = TextScanner::create(db.value());
  ASSERT_TRUE(s);
  s.value()->begin();
  s.value()->feed("社外秘 taro@example.jp マイナンバー 123456789018");
  const auto fs = s.value()->finish();
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].detector, Detector::kJpMyNumber);
}

TEST_F(TextScannerTest, DigitRunsAndDecimalsAreNotValues) {
  std::mt19937 rng(3);
  std::string text = "マイナンバー カード番号 口座番号 電話 ";
  for (int i = 0; i < 200; ++i) text += digits(rng, 40) + " 3.141592653589 ";
  const auto fs = scan(text, 4096);
  EXPECT_EQ(fired(fs, Detector::kJpMyNumber), 0u);
  EXPECT_EQ(fired(fs, Detector::kCreditCard), 0u);
  EXPECT_EQ(fired(fs, Detector::kBankAccount), 0u);
  EXPECT_EQ(fired(fs, Detector::kJpPhone), 0u);
}

// A word that calls a number something else (an order number, a product code) keeps it from
// being counted, for the rows under it too; its own detector's words win over it.
TEST_F(TextScannerTest, NumbersCalledSomethingElseAreNotCounted) {
  std::mt19937 rng(7);
  const std::string mn = my_number(rng, true);
  EXPECT_EQ(scan("注文番号: " + mn + "\n").size(), 0u);
  std::string orders = "注文番号,数量\n";
  for (int i = 0; i < 20; ++i) orders += my_number(rng, true) + ",1\n";
  EXPECT_EQ(scan(orders).size(), 0u);
  EXPECT_EQ(scanner_->counters().explained, 20u);
  // Both words: the value's own detector decides.
  auto fs = scan("注文番号とマイナンバー: " + mn + "\n");
  EXPECT_EQ(fired(fs, Detector::kJpMyNumber), 1u);
  // A JAN code is no 13-digit Visa, whatever the text says around it; a 13-digit Visa with
  // card words is one.
  EXPECT_EQ(fired(scan("クレジットカード払い対応商品 4901234567894"), Detector::kCreditCard), 0u);
  EXPECT_EQ(fired(scan("カード番号 4222222222222"), Detector::kCreditCard), 1u);
  EXPECT_EQ(fired(scan("在庫 4222222222222 個"), Detector::kCreditCard), 0u);
  // A registration number is a corporate number by its form; a JAN-like one needs its word
  // right beside it.
  const std::string corp = corporate_number(rng, true);
  fs = scan("登録番号 T" + corp);
  EXPECT_EQ(fired(fs, Detector::kJpCorporateNumber), 1u);
  EXPECT_EQ(fired(scan("請求書 T" + corp + " 御中"), Detector::kJpCorporateNumber), 1u);
}

TEST_F(TextScannerTest, EveryBuiltInMarkerIsFound) {
  for (const char* marker : {"社外秘", "部外秘", "関係者外秘", "厳秘", "極秘", "マル秘", "丸秘",
                             "取扱注意", "取り扱い注意", "機密", "Confidential",
                             "INTERNAL USE ONLY", "Do not distribute", "コンフィデンシャル"}) {
    const auto fs = scan(std::string("資料 ") + marker + " 添付");
    ASSERT_EQ(fs.size(), 1u) << marker;
    EXPECT_EQ(fs[0].detector, Detector::kKeyword) << marker;
  }
}

}  // namespace
}  // namespace kagami::inspect

namespace kagami::inspect {
namespace {

// The preview an investigator reads: every value the detectors find hidden but its last four
// letters or digits, whatever surrounds it kept; keywords are not values.
TEST(MaskedText, HidesEveryValueButItsLastFourAndKeepsTheRest) {
  auto db = PatternDatabase::build({});
  ASSERT_TRUE(db) << db.error().message;
  const std::string text =
      "氏名,マイナンバー,住所\n顧客0,マイナンバー 123456789018,東京都千代田区1-0\n"
      "カード 4111 1111 1111 1111 有効期限 12/30\n連絡先 tanaka@example.jp 極秘\n";
  auto masked = masked_text(*db, text);
  ASSERT_TRUE(masked) << masked.error().message;
  EXPECT_EQ(masked->find("123456789018"), std::string::npos) << *masked;
  EXPECT_NE(masked->find("マイナンバー ********9018"), std::string::npos) << *masked;
  EXPECT_EQ(masked->find("4111 1111"), std::string::npos) << *masked;
  EXPECT_NE(masked->find("**** **** **** 1111"), std::string::npos) << *masked;
  EXPECT_EQ(masked->find("tanaka@"), std::string::npos) << *masked;
  for (const char* kept : {"氏名,マイナンバー,住所\n顧客0,", "有効期限 12/30", "極秘"})
    EXPECT_NE(masked->find(kept), std::string::npos) << kept << " in " << *masked;
  // Nothing found, nothing changed.
  const std::string plain = "本日の会議資料を送付します。";
  EXPECT_EQ(masked_text(*db, plain).value(), plain);
}

}  // namespace
}  // namespace kagami::inspect
