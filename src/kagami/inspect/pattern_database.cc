#include "kagami/inspect/pattern_database.h"

#include <algorithm>

#include <hs.h>

namespace kagami::inspect {
namespace {

using Role = PatternInfo::Role;
using Shape = PatternInfo::Shape;

struct ValuePattern {
  Detector detector;
  Shape shape;
  bool needs_context;
  const char* expression;
};

// Values as people write them. \d is ASCII here: text is NFKC-normalised before scanning, so
// full-width digits and hyphens have become ASCII ones.
constexpr ValuePattern kValues[] = {
    {Detector::kJpMyNumber, Shape::kDigits, false, R"(\d{12})"},
    {Detector::kJpMyNumber, Shape::kDigits, false, R"(\d{4}[ -]\d{4}[ -]\d{4})"},
    {Detector::kJpCorporateNumber, Shape::kDigits, false, R"(T?\d{13})"},
    {Detector::kCreditCard, Shape::kDigits, false, R"(\d{13,19})"},
    {Detector::kCreditCard, Shape::kDigits, false, R"(\d{4}[ -]\d{4}[ -]\d{4}[ -]\d{4})"},
    {Detector::kCreditCard, Shape::kDigits, false, R"(\d{4}[ -]\d{6}[ -]\d{4,5})"},
    {Detector::kJpPhone, Shape::kDigits, false, R"(0\d{1,4}-\d{1,4}-\d{3,4})"},
    {Detector::kJpPhone, Shape::kDigits, false, R"(0\d{1,4}\(\d{1,4}\)\d{3,4})"},
    {Detector::kJpPhone, Shape::kDigits, false, R"(\+81[ -]?\d{1,4}-\d{1,4}-\d{3,4})"},
    {Detector::kJpPhone, Shape::kDigits, true, R"(0\d{9,10})"},
    {Detector::kJpPostalAddress, Shape::kDigits, true, R"(\d{3}-\d{4})"},
    {Detector::kJpPostalAddress, Shape::kDigits, false, "\xE3\x80\x92 ?\\d{3}-\\d{4}"},  // 〒
    {Detector::kEmailAddress, Shape::kEmail, false,
     R"([A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,24})"},  // lengths:
                                                                                  // validator
    {Detector::kJpPassport, Shape::kPassport, false, R"([A-Z]{2}\d{7})"},
    {Detector::kBankAccount, Shape::kDigits, true, R"(\d{7})"},
    {Detector::kPrivateKey, Shape::kLiteral, false,
     R"(-----BEGIN (RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY( BLOCK)?-----)"},
    {Detector::kApiToken, Shape::kToken, false, R"((AKIA|ASIA)[0-9A-Z]{16})"},    // AWS
    {Detector::kApiToken, Shape::kToken, false, R"(gh[pousr]_[A-Za-z0-9]{36})"},  // GitHub
    {Detector::kApiToken, Shape::kToken, false, R"(github_pat_[A-Za-z0-9_]{82})"},
    {Detector::kApiToken, Shape::kToken, false, R"(xox[abposr]-[A-Za-z0-9\-]{10,72})"},  // Slack
    {Detector::kApiToken, Shape::kToken, false, R"(AIza[0-9A-Za-z_\-]{35})"},            // Google
    {Detector::kApiToken, Shape::kToken, false, R"((sk|rk)_live_[0-9A-Za-z]{24,99})"},   // Stripe
    {Detector::kApiToken, Shape::kToken, false, R"(glpat-[0-9A-Za-z_\-]{20})"},          // GitLab
};

struct ContextWords {
  Detector detector;
  std::vector<const char*> words;
};

// Words that say what a nearby number is, in Japanese and English.
const ContextWords kContext[] = {
    {Detector::kJpMyNumber,
     {"マイナンバー", "個人番号", "my number", "mynumber", "my_number", "通知カード"}},
    {Detector::kJpCorporateNumber, {"法人番号", "corporate number", "登録番号", "インボイス"}},
    {Detector::kCreditCard,
     {"カード番号", "クレジット", "credit card", "card number", "card no", "有効期限",
      "セキュリティコード", "cvv", "expiry", "visa", "mastercard", "jcb", "amex"}},
    {Detector::kJpPhone, {"電話", "携帯", "tel", "phone", "fax", "連絡先", "mobile"}},
    {Detector::kJpPostalAddress,
     {"北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県",   "福島県", "茨城県",
      "栃木県", "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県",
      "石川県", "福井県", "山梨県", "長野県", "岐阜県", "静岡県",   "愛知県", "三重県",
      "滋賀県", "京都府", "大阪府", "兵庫県", "奈良県", "和歌山県", "鳥取県", "島根県",
      "岡山県", "広島県", "山口県", "徳島県", "香川県", "愛媛県",   "高知県", "福岡県",
      "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県", "住所",
      "所在地", "address"}},
    {Detector::kJpPassport, {"旅券", "パスポート", "passport"}},
    {Detector::kBankAccount,
     {"口座番号", "口座", "普通預金", "当座預金", "預金種目", "支店", "account number",
      "account no", "bank account"}},
};

// Words that say a number nearby is something else: a product, order, parcel or invoice
// number. A value with one of these near it, and none of its own detector's words, is not
// counted (business documents are full of 12- and 13-digit numbers that pass a check digit).
const Detector kNumberDetectors[] = {Detector::kJpMyNumber, Detector::kJpCorporateNumber,
                                     Detector::kCreditCard};
const char* const kAgainstWords[] = {
    "商品コード", "JANコード",      "JAN CODE",       "EAN-13",    "ISBN",          "GTIN",
    "バーコード", "品番",           "型番",           "注文番号",  "受注番号",      "発注番号",
    "伝票番号",   "問い合わせ番号", "問合せ番号",     "追跡番号",  "送り状番号",    "請求書番号",
    "請求番号",   "管理番号",       "製造番号",       "シリアル",  "予約番号",      "受付番号",
    "整理番号",   "item code",      "product code",   "order no",  "order number",  "order id",
    "tracking",   "invoice no",     "invoice number", "serial no", "serial number", "sku"};

// The built-in confidentiality markers (detector `keyword`), the words Japanese and English
// offices stamp on what must not leave: docs/inspection.md lists them. Matched without regard
// to ASCII case, after NFKC (so ＣＯＮＦＩＤＥＮＴＩＡＬ and ｺﾝﾌｨﾃﾞﾝｼｬﾙ match too); ㊙ is read
// as マル秘 (text_normalizer.cc).
const char* const kDefaultKeywords[] = {"社外秘",
                                        "部外秘",
                                        "関係者外秘",
                                        "社内限り",
                                        "極秘",
                                        "厳秘",
                                        "機密",
                                        "秘密情報",
                                        "マル秘",
                                        "丸秘",
                                        "取扱注意",
                                        "取り扱い注意",
                                        "confidential",
                                        "strictly confidential",
                                        "internal use only",
                                        "for internal use only",
                                        "do not distribute",
                                        "コンフィデンシャル"};

// A literal as a Hyperscan expression: letters and digits as they are (so that the caseless
// flag applies), every other byte escaped.
std::string literal_expression(std::string_view word) {
  static const char* hex = "0123456789abcdef";
  std::string e;
  for (unsigned char c : word) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
      e.push_back(static_cast<char>(c));
    } else {
      e += "\\x";
      e.push_back(hex[c >> 4]);
      e.push_back(hex[c & 15]);
    }
  }
  return e;
}

}  // namespace

PatternDatabase::~PatternDatabase() {
  if (db_ != nullptr) hs_free_database(db_);
}

Result<std::shared_ptr<const PatternDatabase>> PatternDatabase::build(
    const DetectorOptions& options) {
  std::shared_ptr<PatternDatabase> p(new PatternDatabase());
  p->options_ = options;
  if (p->options_.context_window_chars < 0) p->options_.context_window_chars = 0;
  auto add = [&](PatternInfo info, std::string expression, unsigned flags) {
    p->patterns_.push_back(std::move(info));
    p->expressions_.push_back(std::move(expression));
    p->flags_.push_back(flags | HS_FLAG_SOM_LEFTMOST);
  };
  auto off = [&](Detector d) {
    return std::find(options.disabled.begin(), options.disabled.end(), d) != options.disabled.end();
  };
  for (const ValuePattern& v : kValues) {
    if (off(v.detector)) continue;
    PatternInfo info;
    info.detector = v.detector;
    info.role = Role::kValue;
    info.shape = v.shape;
    info.needs_context = v.needs_context;
    add(std::move(info), v.expression, 0);
  }
  for (const ContextWords& c : kContext) {
    if (off(c.detector)) continue;
    for (const char* w : c.words) {
      PatternInfo info;
      info.detector = c.detector;
      info.role = Role::kContext;
      info.text = w;
      add(std::move(info), literal_expression(w), HS_FLAG_CASELESS);
    }
  }
  for (const Detector d : kNumberDetectors) {
    if (off(d)) continue;
    for (const char* w : kAgainstWords) {
      PatternInfo info;
      info.detector = d;
      info.role = Role::kAgainst;
      info.text = w;
      add(std::move(info), literal_expression(w), HS_FLAG_CASELESS);
    }
  }
  std::vector<std::string> keywords = options.keywords;
  if (keywords.empty()) keywords.assign(std::begin(kDefaultKeywords), std::end(kDefaultKeywords));
  for (const std::string& w : keywords) {
    if (w.empty() || off(Detector::kKeyword)) continue;
    PatternInfo info;
    info.detector = Detector::kKeyword;
    info.role = Role::kKeyword;
    info.text = w;
    add(std::move(info), literal_expression(w), HS_FLAG_CASELESS);
  }

  if (p->expressions_.empty()) return make_error("every content detector is disabled");
  std::vector<const char*> expressions;
  std::vector<unsigned> ids;
  for (std::size_t i = 0; i < p->expressions_.size(); ++i) {
    expressions.push_back(p->expressions_[i].c_str());
    ids.push_back(static_cast<unsigned>(i));
  }
  hs_compile_error_t* error = nullptr;
  // A small start-of-match horizon: values are short, and it keeps the stream state small.
  const hs_error_t rc = hs_compile_multi(
      expressions.data(), p->flags_.data(), ids.data(), static_cast<unsigned>(expressions.size()),
      HS_MODE_STREAM | HS_MODE_SOM_HORIZON_SMALL, nullptr, &p->db_, &error);
  if (rc != HS_SUCCESS) {
    std::string why = error != nullptr && error->message != nullptr ? error->message : "unknown";
    const int at = error != nullptr ? error->expression : -1;
    if (error != nullptr) hs_free_compile_error(error);
    return make_error("cannot compile the detector patterns: {} (pattern {}: {})", why, at,
                      at >= 0 ? p->expressions_[static_cast<std::size_t>(at)] : "");
  }
  return std::shared_ptr<const PatternDatabase>(std::move(p));
}

}  // namespace kagami::inspect
