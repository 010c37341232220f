#include "kagami/inspect/text_scanner.h"

#include <functional>
#include <map>
#include <random>

#include <gtest/gtest.h>

#include "kagami/content/text_normalizer.h"
#include "kagami/inspect/validators.h"

namespace kagami::inspect {
namespace {

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

std::string digits(std::mt19937& rng, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s.push_back(static_cast<char>('0' + rng() % 10));
  return s;
}

std::string my_number(std::mt19937& rng, bool valid) {
  std::string base = digits(rng, 11);
  for (char c = '0'; c <= '9'; ++c) {
    const bool ok = valid_my_number(base + c);
    if (ok == valid) return base + c;
  }
  return base;
}

std::string corporate_number(std::mt19937& rng, bool valid) {
  const std::string base = digits(rng, 12);
  for (char c = '1'; c <= '9'; ++c)
    if (valid_corporate_number(std::string(1, c) + base) == valid) return std::string(1, c) + base;
  return "1" + base;
}

std::string card(std::mt19937& rng, bool valid) {
  const char* prefixes[] = {"4", "51", "55", "3530", "6011"};
  std::string base = prefixes[rng() % 5];
  base += digits(rng, static_cast<int>(15 - base.size()));
  for (char c = '0'; c <= '9'; ++c)
    if (valid_credit_card(base + c) == valid) return base + c;
  return base + "0";
}

std::string grouped(const std::string& d, char sep) {
  std::string out;
  for (std::size_t i = 0; i < d.size(); ++i) {
    if (i > 0 && i % 4 == 0) out.push_back(sep);
    out.push_back(d[i]);
  }
  return out;
}

// Labelled fixtures: each document holds one value (or one near miss) in a sentence; a
// positive must fire exactly once, a near miss never. Precision and recall per detector.
struct Case {
  Detector detector;
  std::function<std::string(std::mt19937&)> positive, negative;
};

TEST_F(TextScannerTest, PrecisionAndRecallOnLabelledFixturesAreAtLeast99Percent) {
  const std::string filler =
      "本日の会議資料を送付します。ご確認のほどよろしくお願いいたします。The quarterly report "
      "is attached for your review. ";
  const std::vector<Case> cases = {
      {Detector::kJpMyNumber,
       [](std::mt19937& r) {
         const std::string v = my_number(r, true);
         return "社員のマイナンバー: " + (r() % 2 ? v : grouped(v, '-')) + " を登録しました。";
       },
       [](std::mt19937& r) {  // wrong check digit with context; or a bare valid-looking number
         return r() % 2 ? "個人番号 " + my_number(r, false) + " は誤りです。"
                        : "注文番号 " + my_number(r, true) + " を出荷しました。";
       }},
      {Detector::kJpCorporateNumber,
       [](std::mt19937& r) { return "法人番号 " + corporate_number(r, true) + " の会社です。"; },
       [](std::mt19937& r) {
         return r() % 2 ? "法人番号 " + corporate_number(r, false) + " (誤記)"
                        : "伝票 " + corporate_number(r, true) + " を処理";
       }},
      {Detector::kCreditCard,
       [](std::mt19937& r) {
         const std::string v = card(r, true);
         return "Card number: " + (r() % 2 ? v : grouped(v, ' ')) + " exp 12/29.";
       },
       [](std::mt19937& r) {
         return r() % 2 ? "カード番号 " + card(r, false) + " は無効"
                        : "Tracking id 9" + digits(r, 15) + " shipped.";
       }},
      {Detector::kJpPhone,
       [](std::mt19937& r) {
         return r() % 2 ? "電話: 03-" + digits(r, 4) + "-" + digits(r, 4)
                        : "携帯 090-" + digits(r, 4) + "-" + digits(r, 4) + " まで";
       },
       [](std::mt19937& r) {  // wrong lengths, dates, bare digit runs without a word
         switch (r() % 3) {
           case 0:
             return "電話 090-" + digits(r, 4) + "-" + digits(r, 3) + "（桁不足）";
           case 1:
             return "on 2024-" + digits(r, 2) + "-" + digits(r, 2) + " we met";
           default:
             return "ロット 0" + digits(r, 9) + " 入荷";
         }
       }},
      {Detector::kJpPostalAddress,
       [](std::mt19937& r) {
         return r() % 2 ? "〒" + digits(r, 3) + "-" + digits(r, 4) + " 東京都千代田区"
                        : digits(r, 3) + "-" + digits(r, 4) + " 大阪府大阪市北区梅田";
       },
       [](std::mt19937& r) { return "部品番号 " + digits(r, 3) + "-" + digits(r, 4) + " を発注"; }},
      {Detector::kEmailAddress,
       [](std::mt19937& r) {
         return "連絡先: user" + digits(r, 4) + ".name@example" + digits(r, 2) + ".co.jp です";
       },
       [](std::mt19937& r) {
         return r() % 2 ? "handle @user" + digits(r, 3) + " on chat"
                        : "user" + digits(r, 3) + "@localhost is local";
       }},
      {Detector::kJpPassport,
       [](std::mt19937& r) { return "旅券番号 TK" + digits(r, 7) + " 有効"; },
       [](std::mt19937& r) {
         return r() % 2 ? "model TK" + digits(r, 8) + " sold" : "part tk" + digits(r, 7);
       }},
      {Detector::kBankAccount,
       [](std::mt19937& r) { return "普通預金 口座番号 " + digits(r, 7) + " へお振込みください"; },
       [](std::mt19937& r) { return "会員番号 " + digits(r, 7) + " でログイン"; }},
      {Detector::kPrivateKey,
       [](std::mt19937&) { return std::string("-----BEGIN RSA PRIVATE KEY-----\nMIIEow...\n"); },
       [](std::mt19937&) { return std::string("-----BEGIN PUBLIC KEY-----\nMIIB...\n"); }},
      {Detector::kApiToken,
       [](std::mt19937& r) {
         std::string k = "AKIA";
         for (int i = 0; i < 16; ++i) k.push_back("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[r() % 32]);
         return "aws_access_key_id = " + k + "\n";
       },
       [](std::mt19937& r) { return "id = AKIA" + digits(r, 10) + " (too short)\n"; }},
  };
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

}  // namespace
}  // namespace kagami::inspect
