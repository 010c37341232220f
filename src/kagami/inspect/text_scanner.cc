#include "kagami/inspect/text_scanner.h"

#include <algorithm>

#include <hs.h>

#include "kagami/inspect/validators.h"

namespace kagami::inspect {
namespace {

using Role = PatternInfo::Role;
using Shape = PatternInfo::Shape;

bool is_digit(int c) { return c >= '0' && c <= '9'; }
bool is_alnum(int c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_token_char(int c) { return is_alnum(c) || c == '_' || c == '-'; }
bool is_local_char(int c) {
  return is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}

constexpr std::uint64_t kLookahead = 2;
// A word that must stand right by its value (a JAN-like corporate number's 法人番号).
constexpr std::size_t kTightWindow = 16;
constexpr std::uint64_t kNone = ~std::uint64_t{0};  // bytes after a value its edge check reads

// Detectors whose values mean nothing more with a word nearby.
bool takes_context(Detector d) {
  return d != Detector::kEmailAddress && d != Detector::kPrivateKey && d != Detector::kApiToken &&
         d != Detector::kKeyword;
}

// A value that passed its check, with and without a context word nearby.
Confidence confidence_for(Detector d, bool context) {
  switch (d) {
    case Detector::kJpMyNumber:
    case Detector::kJpCorporateNumber:
    case Detector::kJpPassport:
      return context ? Confidence::kHigh : Confidence::kLow;
    case Detector::kBankAccount:
      return Confidence::kMedium;  // counted only with context at all
    default:
      return context ? Confidence::kHigh : Confidence::kMedium;
  }
}

}  // namespace

Result<std::unique_ptr<TextScanner>> TextScanner::create(std::shared_ptr<const PatternDatabase> db,
                                                         ScanLimits limits) {
  std::unique_ptr<TextScanner> s(new TextScanner());
  if (hs_alloc_scratch(db->database(), &s->scratch_) != HS_SUCCESS)
    return make_error("cannot allocate Hyperscan scratch space");
  s->db_ = std::move(db);
  s->limits_ = limits;
  // Four bytes is the longest UTF-8 character: a window counted in bytes this wide holds at
  // least the characters the window allows.
  s->window_bytes_ = static_cast<std::uint64_t>(s->db_->options().context_window_chars) * 4;
  s->context_.resize(kDetectorCount);
  s->against_.resize(kDetectorCount);
  return s;
}

TextScanner::~TextScanner() {
  if (stream_ != nullptr) hs_close_stream(stream_, scratch_, nullptr, nullptr);
  if (scratch_ != nullptr) hs_free_scratch(scratch_);
}

void TextScanner::begin() {
  if (stream_ != nullptr) hs_close_stream(stream_, scratch_, nullptr, nullptr);
  stream_ = nullptr;
  if (hs_open_stream(db_->database(), 0, &stream_) != HS_SUCCESS) stream_ = nullptr;
  kept_.clear();
  kept_from_ = end_ = 0;
  unchecked_.clear();
  waiting_.clear();
  for (auto& c : context_) c.clear();
  for (auto& c : against_) c.clear();
  findings_.clear();
  spans_.clear();
  last_counted_to_.assign(kDetectorCount, kNone);
  last_confident_to_.assign(kDetectorCount, kNone);
  last_against_to_.assign(kDetectorCount, kNone);
  counters_ = {};
}

void TextScanner::feed(std::string_view text) {
  if (stream_ == nullptr || text.empty()) return;
  kept_.append(text);
  end_ += text.size();
  counters_.bytes += text.size();
  hs_scan_stream(stream_, text.data(), static_cast<unsigned>(text.size()), 0, scratch_, on_match,
                 this);
  settle(false);
  trim();
}

std::vector<Finding> TextScanner::finish() {
  if (stream_ != nullptr) {
    hs_close_stream(stream_, scratch_, on_match, this);  // matches that end with the data
    stream_ = nullptr;
  }
  settle(true);
  std::sort(findings_.begin(), findings_.end(), [](const Finding& a, const Finding& b) {
    if (a.detector != b.detector) return a.detector < b.detector;
    if (a.confidence != b.confidence) return a.confidence > b.confidence;
    return a.name < b.name;
  });
  return std::move(findings_);
}

int TextScanner::on_match(unsigned id, unsigned long long from, unsigned long long to,
                          unsigned /*flags*/, void* self) {
  auto* s = static_cast<TextScanner*>(self);
  const PatternInfo& info = s->db_->info(id);
  const Hit h{id, from, to};
  switch (info.role) {
    case Role::kKeyword:
      s->count(info, Confidence::kHigh, info.text);
      break;
    case Role::kContext:
      s->context_[static_cast<std::size_t>(info.detector)].push_back(h);
      break;
    case Role::kAgainst:
      s->against_[static_cast<std::size_t>(info.detector)].push_back(h);
      break;
    case Role::kValue:
      ++s->counters_.candidates;
      // In order: values are resolved in the order they end, which the chain of context
      // from one row to the next relies on.
      if (s->unchecked_.size() + s->waiting_.size() < s->limits_.max_pending)
        s->unchecked_.push_back(h);
      else
        s->counters_.truncated = true;
      s->check_ready();  // most candidates: the bytes after them are here already
      break;
  }
  return 0;
}

void TextScanner::check(const Hit& h) {
  std::string sample;
  Traits traits;
  if (!validate(h, sample, traits)) return;
  ++counters_.validated;
  const PatternInfo& info = db_->info(h.id);
  if (keep_spans_ && info.role != Role::kKeyword) spans_.push_back({h.from, h.to});
  if (!takes_context(info.detector)) return count(info, Confidence::kHigh, sample);
  if (waiting_.size() + unchecked_.size() >= limits_.max_pending) {
    counters_.truncated = true;
    return;
  }
  waiting_.push_back(Value{h.id, h.from, h.to, std::move(sample), traits});
}

void TextScanner::check_ready(bool final) {
  while (!unchecked_.empty() && (final || unchecked_.front().to + kLookahead <= end_)) {
    const Hit h = unchecked_.front();
    unchecked_.pop_front();
    check(h);
  }
}

void TextScanner::settle(bool final) {
  check_ready(final);
  while (!waiting_.empty() && (final || waiting_.front().to + window_bytes_ <= end_)) {
    Value v = std::move(waiting_.front());
    waiting_.pop_front();
    const PatternInfo& info = db_->info(v.id);
    const auto d = static_cast<std::size_t>(info.detector);
    const bool context =
        v.traits.evident ||
        (v.traits.tight ? has_context(info.detector, v.from, v.to, kTightWindow, false)
                        : has_context(info.detector, v.from, v.to));
    // Without a word of its own, a value that a word nearby calls something else (商品コード,
    // 注文番号, tracking) is that something else; so are the rows under it.
    if (!context && has_against(info.detector, v.from, v.to)) {
      ++counters_.explained;
      last_against_to_[d] = v.to;
      continue;
    }
    if ((info.needs_context || v.traits.needs_context) && !context) continue;
    // Two patterns of one detector may find the same value ("〒100-0001" and "100-0001").
    std::uint64_t& last = last_counted_to_[static_cast<std::size_t>(info.detector)];
    if (last == v.to) continue;
    last = v.to;
    if (context) last_confident_to_[static_cast<std::size_t>(info.detector)] = v.to;
    count(info, confidence_for(info.detector, context), v.sample);
  }
}

int TextScanner::at(std::uint64_t offset) const {
  if (offset < kept_from_ || offset >= end_) return -1;
  return static_cast<unsigned char>(kept_[offset - kept_from_]);
}

bool TextScanner::validate(const Hit& h, std::string& sample, Traits& traits) const {
  if (h.from < kept_from_ || h.to > end_ || h.from >= h.to) return false;
  const std::string_view v(kept_.data() + (h.from - kept_from_), h.to - h.from);
  const PatternInfo& info = db_->info(h.id);
  const int prev = h.from == 0 ? -1 : at(h.from - 1), prev2 = h.from < 2 ? -1 : at(h.from - 2);
  const int next = at(h.to), next2 = at(h.to + 1);
  switch (info.shape) {
    case Shape::kDigits: {
      // A whole number, not a piece of a longer one, a decimal, a date or a code.
      if (is_alnum(prev) || is_alnum(next)) return false;
      if (inside_encoded_run(h)) return false;
      auto joins = [](int sep, int beyond) {
        return (sep == '.' || sep == '-' || sep == '/') && is_digit(beyond);
      };
      if (joins(prev, prev2) || joins(next, next2)) return false;
      if (v.find(' ') != std::string_view::npos &&
          ((prev == ' ' && is_digit(prev2)) || (next == ' ' && is_digit(next2))))
        return false;  // "1234 5678 9012" inside "1234 5678 9012 3456"
      bool ok = true;
      switch (info.detector) {
        case Detector::kJpMyNumber:
          ok = valid_my_number(v);
          break;
        case Detector::kJpCorporateNumber:
          ok = valid_corporate_number(v);
          if (ok && v.front() == 'T') {
            traits.evident = true;  // a qualified invoice issuer's registration number
          } else if (ok && looks_like_jan(v)) {
            traits.needs_context = traits.tight = true;  // a product code, unless labelled
          }
          break;
        case Detector::kCreditCard: {
          const CardNumber k = credit_card_kind(v);
          // 13-digit "Visa" numbers with a JAN prefix and check digit are JAN codes.
          ok = k != CardNumber::kNo && !looks_like_jan(v);
          traits.needs_context = k == CardNumber::kUnusual;
          break;
        }
        case Detector::kJpPhone:
          ok = valid_jp_phone(v);
          break;
        default:
          break;  // postal codes and account numbers: the pattern and the context decide
      }
      if (!ok) return false;
      sample = mask_digits(v);
      return true;
    }
    case Shape::kEmail:
      if (is_local_char(prev)) return false;  // longer than the pattern's local part allows
      if (is_alnum(next) || next == '-' || (next == '.' && is_alnum(next2))) return false;
      if (!valid_email(v)) return false;
      sample = mask_email(v);
      return true;
    case Shape::kToken:
      if (is_token_char(prev) || is_token_char(next)) return false;
      sample = mask_token(v);
      return true;
    case Shape::kPassport:
      if (is_alnum(prev) || is_alnum(next) || !valid_jp_passport(v)) return false;
      sample = mask_digits(v);
      return true;
    case Shape::kLiteral:
      sample = std::string(v);
      return true;
  }
  return false;
}

// Base64 (mail parts, JSON and XML blobs) is letters, digits, '+' and '/': its digit runs
// between '+' and '/' look like numbers. A value inside a long run of those characters that
// also holds letters is part of an encoding, not a number someone wrote.
bool TextScanner::inside_encoded_run(const Hit& h) const {
  auto b64 = [](int c) { return is_alnum(c) || c == '+' || c == '/'; };
  constexpr std::uint64_t kReach = 48, kRun = 40;
  std::uint64_t left = 0, right = 0;
  bool letters = false;
  for (; left < kReach && h.from > left; ++left) {
    const int c = at(h.from - left - 1);
    if (!b64(c)) break;
    letters = letters || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
  }
  for (; right < kReach; ++right) {
    const int c = at(h.to + right);
    if (!b64(c)) break;
    letters = letters || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
  }
  return letters && left + right + (h.to - h.from) >= kRun && left > 0 && right > 0;
}

std::size_t TextScanner::chars_between(std::uint64_t a, std::uint64_t b) const {
  if (a >= b) return 0;
  if (a < kept_from_) return ~std::size_t{0};
  std::size_t n = 0;
  for (std::uint64_t i = a; i < b && i < end_; ++i)
    if ((static_cast<unsigned char>(kept_[i - kept_from_]) & 0xC0) != 0x80) ++n;
  return n;
}

// Within `window` characters: certainly so within `window` bytes, certainly not beyond four
// times that; only in between are the characters counted.
bool TextScanner::near(std::uint64_t a, std::uint64_t b, std::size_t window) const {
  const std::uint64_t gap = b - a;
  if (gap <= window) return true;
  if (gap > static_cast<std::uint64_t>(window) * 4) return false;
  return chars_between(a, b) <= window;
}

bool TextScanner::has_context(Detector d, std::uint64_t from, std::uint64_t to, std::size_t window,
                              bool chain) const {
  // A postal code is an address only right next to one: the prefecture follows it.
  if (window == 0)
    window = d == Detector::kJpPostalAddress
                 ? 40
                 : static_cast<std::size_t>(db_->options().context_window_chars);
  // A table of values under one heading: each row is near the confident row before it.
  const std::uint64_t last = last_confident_to_[static_cast<std::size_t>(d)];
  if (chain && d != Detector::kJpPostalAddress && last != kNone && last <= from &&
      near(last, from, window))
    return true;
  for (const Hit& w : context_[static_cast<std::size_t>(d)]) {
    if (w.to <= from) {
      if (d != Detector::kJpPostalAddress && near(w.to, from, window)) return true;
    } else if (w.from >= to) {
      if (near(to, w.from, window)) return true;
    } else {
      return true;  // overlapping
    }
  }
  return false;
}

bool TextScanner::has_against(Detector d, std::uint64_t from, std::uint64_t to) const {
  const auto window = static_cast<std::size_t>(db_->options().context_window_chars);
  const std::uint64_t last = last_against_to_[static_cast<std::size_t>(d)];
  if (last != kNone && last <= from && near(last, from, window)) return true;
  for (const Hit& w : against_[static_cast<std::size_t>(d)]) {
    if (w.to <= from ? near(w.to, from, window) : w.from >= to ? near(to, w.from, window) : true)
      return true;
  }
  return false;
}

void TextScanner::count(const PatternInfo& info, Confidence c, const std::string& sample) {
  for (Finding& f : findings_) {
    if (f.detector == info.detector && f.confidence == c &&
        (info.role != Role::kKeyword || f.name == info.text)) {
      ++f.count;
      return;
    }
  }
  Finding f;
  f.detector = info.detector;
  f.confidence = c;
  f.count = 1;
  f.sample = sample;
  if (info.role == Role::kKeyword) f.name = info.text;
  findings_.push_back(std::move(f));
}

void TextScanner::trim() {
  // Kept: what a waiting value, or one still to come, may look back on.
  std::uint64_t keep = end_ > window_bytes_ + 16 ? end_ - window_bytes_ - 16 : 0;
  if (!unchecked_.empty()) keep = std::min(keep, unchecked_.front().from);
  if (!waiting_.empty())
    keep = std::min(keep, waiting_.front().from > window_bytes_ + 16
                              ? waiting_.front().from - window_bytes_ - 16
                              : 0);
  for (auto* table : {&context_, &against_})
    for (auto& words : *table)
      while (!words.empty() && words.front().to < keep) words.pop_front();
  if (keep > kept_from_ && (keep - kept_from_) >= std::max<std::size_t>(kept_.size() / 2, 65536)) {
    kept_.erase(0, keep - kept_from_);
    kept_from_ = keep;
  }
}

Result<std::string> masked_text(std::shared_ptr<const PatternDatabase> db, std::string_view text) {
  auto scanner = TextScanner::create(std::move(db));
  if (!scanner) return scanner.error();
  TextScanner& s = **scanner;
  s.keep_spans(true);
  s.begin();
  s.feed(text);
  (void)s.finish();
  std::vector<bool> hide(text.size(), false);
  for (const TextScanner::Span& span : s.spans()) {
    const std::uint64_t to = std::min<std::uint64_t>(span.to, text.size());
    // The last four ASCII letters or digits stay, as in a finding's sample.
    std::uint64_t keep_from = to;
    for (int left = 4; keep_from > span.from && left > 0; --keep_from)
      if (is_alnum(static_cast<unsigned char>(text[keep_from - 1]))) --left;
    for (std::uint64_t i = span.from; i < keep_from; ++i) hide[i] = true;
  }
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    const std::size_t n = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    const std::size_t len = std::min(n, text.size() - i);
    // A character is hidden whole: one '*' for each, separators ('-', ' ') kept.
    bool hidden = false;
    for (std::size_t k = 0; k < len; ++k) hidden = hidden || hide[i + k];
    if (hidden && !(len == 1 && (c == '-' || c == ' ' || c == '@' || c == '.')))
      out += '*';
    else
      out.append(text.substr(i, len));
    i += len;
  }
  return out;
}

}  // namespace kagami::inspect
