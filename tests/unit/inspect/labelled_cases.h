#pragma once

// Labelled fixtures for the detectors, shared by the scanner's and the inspector's tests:
// for each detector, sentences holding one value (a positive) or one near miss (a negative).

#include <functional>
#include <random>
#include <string>
#include <vector>

#include "kagami/inspect/detector.h"
#include "kagami/inspect/validators.h"

namespace kagami::inspect::fixtures {

inline std::string digits(std::mt19937& rng, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s.push_back(static_cast<char>('0' + rng() % 10));
  return s;
}

inline std::string my_number(std::mt19937& rng, bool valid) {
  std::string base = digits(rng, 11);
  for (char c = '0'; c <= '9'; ++c) {
    const bool ok = valid_my_number(base + c);
    if (ok == valid) return base + c;
  }
  return base;
}

inline std::string corporate_number(std::mt19937& rng, bool valid) {
  const std::string base = digits(rng, 12);
  for (char c = '1'; c <= '9'; ++c)
    if (valid_corporate_number(std::string(1, c) + base) == valid) return std::string(1, c) + base;
  return "1" + base;
}

inline std::string card(std::mt19937& rng, bool valid) {
  const char* prefixes[] = {"4", "51", "55", "3530", "6011"};
  std::string base = prefixes[rng() % 5];
  base += digits(rng, static_cast<int>(15 - base.size()));
  for (char c = '0'; c <= '9'; ++c)
    if (valid_credit_card(base + c) == valid) return base + c;
  return base + "0";
}

inline std::string grouped(const std::string& d, char sep) {
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

// Every detector's cases.
inline std::vector<Case> labelled_cases() {
  return {
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
}

}  // namespace kagami::inspect::fixtures
