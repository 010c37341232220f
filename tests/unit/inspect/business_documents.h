#pragma once

// What a Japanese office sends every day and must not alarm anybody: product masters full of
// JAN codes, order lists with 12-digit order numbers, invoices with a registration number,
// shipping notices with tracking numbers, phone lists, book lists. Generated here, with the
// worst look-alikes on purpose: JAN codes that also pass Luhn (a 13-digit "Visa") or the
// corporate-number check, order numbers that pass the My Number check. And the ledgers that
// must still be found among them.

#include <random>
#include <string>
#include <vector>

#include "kagami/inspect/validators.h"

#include "labelled_cases.h"

namespace kagami::inspect::fixtures {

// A JAN code (GS1 Japan prefix 45 or 49, valid check digit) that also passes Luhn as a 13-digit
// Visa (`luhn`) or the corporate-number check (`corporate`), or neither.
inline std::string jan(std::mt19937& rng, bool luhn, bool corporate) {
  for (int tries = 0; tries < 100000; ++tries) {
    std::string base = (rng() % 2 ? "45" : "49") + digits(rng, 10);
    for (char c = '0'; c <= '9'; ++c) {
      const std::string v = base + c;
      if (!valid_gtin(v)) continue;
      if (luhn && !valid_credit_card(v)) break;
      if (corporate && !valid_corporate_number(v)) break;
      return v;
    }
  }
  return "4900000000000";
}

// A 12-digit order or tracking number that passes the My Number check.
inline std::string order_number(std::mt19937& rng) { return my_number(rng, true); }

struct BusinessDocument {
  std::string name;  // what it is, for messages
  std::string text;
  bool ascii_only = false;
};

// Benign documents: no personal value in any of them (phone numbers of a company's own
// departments aside, which are a list of phone numbers and nothing more).
inline std::vector<BusinessDocument> benign_business_documents(std::mt19937& rng) {
  std::vector<BusinessDocument> out;
  {
    std::string t = "JANコード,商品名,単価,在庫\n";
    for (int i = 0; i < 60; ++i)
      t += jan(rng, i % 2 == 0, i % 2 == 1) + ",商品" + std::to_string(i) + "," +
           std::to_string(100 + i * 7) + ",12\n";
    out.push_back({"product master (JAN codes)", t});
  }
  {
    std::string t = "注文番号,受注日,お客様名,商品コード,数量\n";
    for (int i = 0; i < 40; ++i)
      t += order_number(rng) + ",2026/11/" + std::to_string(1 + i % 28) + ",株式会社サンプル" +
           std::to_string(i) + "," + jan(rng, i % 3 == 0, i % 3 == 1) + ",3\n";
    out.push_back({"orders (order numbers, JAN codes)", t});
  }
  {
    std::string t =
        "請求書\n請求書番号: INV-2026-0012\n株式会社サンプル商事 御中\n"
        "適格請求書発行事業者 登録番号: T" +
        corporate_number(rng, true) +
        "\n株式会社鏡販売 東京都千代田区丸の内1-1-1 TEL 03-1234-5678\n\n"
        "品目 / JAN / 数量 / 金額\n";
    for (int i = 0; i < 12; ++i)
      t += "商品" + std::to_string(i) + " / " + jan(rng, i % 2 == 0, i % 2 == 1) + " / 2 / " +
           std::to_string(1200 + i * 300) + "円\n";
    t += "合計 38,400円（税込）\nお振込期限: 2026年12月31日\n";
    out.push_back({"invoice (registration number, JAN codes)", t});
  }
  {
    std::string t =
        "田中様\n\nご注文ありがとうございます。本日、商品を発送いたしました。\n"
        "ご注文番号: " +
        order_number(rng) + "\n配送業者: ヤマト運輸\nお問い合わせ番号: " + order_number(rng) +
        "\n\n同梱商品:\n";
    for (int i = 0; i < 5; ++i) t += "  JAN " + jan(rng, true, false) + " ×1\n";
    t += "\nお届け予定: 11月3日 午前中\n";
    out.push_back({"shipping notice (tracking numbers)", t});
  }
  {
    std::string t = "Order No.,Date,SKU,Qty\n";
    for (int i = 0; i < 40; ++i)
      t += order_number(rng) + ",2026-11-02," + jan(rng, i % 2 == 0, false) + ",1\n";
    out.push_back({"order list in English (order numbers, SKUs)", t, true});
  }
  {
    std::string t = "ISBN,書名,著者,価格\n";
    for (int i = 0; i < 30; ++i) {
      std::string base = "978" + digits(rng, 9);
      for (char c = '0'; c <= '9'; ++c)
        if (valid_gtin(base + c)) {
          base += c;
          break;
        }
      t += base + ",書籍" + std::to_string(i) + ",著者" + std::to_string(i) + ",1800\n";
    }
    out.push_back({"book list (ISBN-13)", t});
  }
  {
    std::string t = "部署,代表電話,FAX\n";
    for (int i = 0; i < 25; ++i)
      t += "営業" + std::to_string(i) + "課,03-" + digits(rng, 4) + "-" + digits(rng, 4) + ",03-" +
           digits(rng, 4) + "-" + digits(rng, 4) + "\n";
    out.push_back({"department phone list", t});
  }
  return out;
}

// Ledgers among the same kind of columns: each value must still be found. Returns the text
// and how many values of `d` it holds.
struct Ledger {
  std::string name, text;
  Detector detector;
  int values = 0;
};

inline std::vector<Ledger> sensitive_business_documents(std::mt19937& rng) {
  std::vector<Ledger> out;
  {
    Ledger l{"employee list (My Numbers beside employee numbers)", "社員番号,氏名,マイナンバー\n",
             Detector::kJpMyNumber, 0};
    for (int i = 0; i < 30; ++i, ++l.values)
      l.text += std::to_string(1000 + i) + ",社員" + std::to_string(i) + "," +
                my_number(rng, true) + "\n";
    out.push_back(l);
  }
  {
    // Words against (JAN, 品番) in the same rows: the heading of the column still decides.
    Ledger l{"loaned equipment (My Numbers beside JAN codes)",
             "社員,マイナンバー,貸与品JANコード\n", Detector::kJpMyNumber, 0};
    for (int i = 0; i < 20; ++i, ++l.values)
      l.text += "社員" + std::to_string(i) + "," + my_number(rng, true) + "," +
                jan(rng, true, false) + "\n";
    out.push_back(l);
  }
  {
    Ledger l{"corporate card ledger", "利用者,カード番号,有効期限\n", Detector::kCreditCard, 0};
    for (int i = 0; i < 20; ++i, ++l.values)
      l.text += "社員" + std::to_string(i) + "," + grouped(card(rng, true), '-') + ",12/29\n";
    out.push_back(l);
  }
  {
    // A 13-digit Visa (rare today) counts where the text says it is a card.
    Ledger l{"old 13-digit Visa, labelled", "", Detector::kCreditCard, 1};
    l.text = "クレジットカード番号: 4222222222222 (VISA)\n";
    out.push_back(l);
  }
  {
    Ledger l{"suppliers' corporate numbers", "取引先,法人番号\n", Detector::kJpCorporateNumber, 0};
    for (int i = 0; i < 10; ++i, ++l.values)
      l.text += "取引先" + std::to_string(i) + ",法人番号 " + corporate_number(rng, true) + "\n";
    out.push_back(l);
  }
  return out;
}

}  // namespace kagami::inspect::fixtures
