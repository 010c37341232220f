#include "kagami/content/text_normalizer.h"

#include <algorithm>
#include <cmath>
#include <string>

#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/stringpiece.h>
#include <unicode/ucnv.h>
#include <unicode/ucnv_err.h>
#include <unicode/ucsdet.h>
#include <unicode/ustring.h>
#include <unicode/utf8.h>

namespace kagami::content {
namespace {

constexpr std::size_t kDetectBytes = 64u << 10;  // what ICU's detector reads of a text

// The length of the longest prefix of `s` that is well-formed UTF-8; `complete` tells whether
// what follows is only an unfinished character at the very end.
std::size_t utf8_valid_prefix(std::string_view s, bool& complete) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(s.data());
  const std::int32_t n = static_cast<std::int32_t>(s.size());
  std::int32_t i = 0;
  while (i < n) {
    if (p[i] < 0x80) {  // ASCII runs are most text: skip them without decoding
      ++i;
      continue;
    }
    const std::int32_t start = i;
    UChar32 c;
    U8_NEXT(p, i, n, c);
    if (c < 0) {
      // Unfinished at the end (more may come), or invalid.
      complete = i >= n && n - start < 4 && U8_COUNT_TRAIL_BYTES(p[start]) > n - start - 1;
      return static_cast<std::size_t>(start);
    }
  }
  complete = true;
  return s.size();
}

// How Japanese bytes read in one legacy charset, from the byte structure itself: what
// characters they would be (kana weigh most, common kanji next, symbols and rare kanji less,
// unassigned and user-defined areas count against), and whether they are valid there at all.
struct JapaneseReading {
  bool valid = true;
  double score = 0;           // summed weights
  std::size_t chars = 0;      // characters beyond ASCII
  std::size_t full_kana = 0;  // hiragana and full-width katakana
  std::size_t half_kana = 0;  // half-width katakana
  double mean() const { return chars == 0 ? 0 : score / static_cast<double>(chars); }
};

// CP932: Shift_JIS with the NEC (row 13: ①, ㈱) and IBM (髙, 﨑) characters.
JapaneseReading read_as_cp932(std::string_view s) {
  JapaneseReading r;
  const auto* p = reinterpret_cast<const std::uint8_t*>(s.data());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const std::uint8_t b = p[i];
    if (b < 0x80) continue;
    ++r.chars;
    if (b >= 0xA1 && b <= 0xDF) {
      r.score += 0.5;
      ++r.half_kana;
      continue;
    }
    const bool lead = (b >= 0x81 && b <= 0x9F) || (b >= 0xE0 && b <= 0xFC);
    if (!lead) return {false};
    if (i + 1 >= s.size()) break;  // cut by the end of the sample
    const std::uint8_t t = p[++i];
    if (t < 0x40 || t == 0x7F || t > 0xFC) return {false};
    if (b == 0x82 || b == 0x83) {
      r.score += 2;  // hiragana, katakana (and full-width letters and digits in 0x82)
      ++r.full_kana;
    } else if (b == 0x81 || b == 0x87) {
      r.score += 0.75;  // punctuation and symbols; NEC's circled numbers and ㈱
    } else if (b >= 0x88 && b <= 0x98) {
      r.score += 1;  // JIS level-1 kanji
    } else if ((b >= 0x99 && b <= 0x9F) || (b >= 0xE0 && b <= 0xEE) || (b >= 0xFA && b <= 0xFC)) {
      r.score += 0.3;  // level-2 kanji, the NEC-selected and IBM extensions
    } else {
      r.score -= 3;  // 0x84-0x86 (mostly unassigned) and the user-defined 0xF0-0xF9
    }
  }
  return r;
}

JapaneseReading read_as_euc_jp(std::string_view s) {
  JapaneseReading r;
  const auto* p = reinterpret_cast<const std::uint8_t*>(s.data());
  auto in = [](std::uint8_t b) { return b >= 0xA1 && b <= 0xFE; };
  for (std::size_t i = 0; i < s.size(); ++i) {
    const std::uint8_t b = p[i];
    if (b < 0x80) continue;
    ++r.chars;
    if (b == 0x8E) {  // half-width katakana
      if (i + 1 >= s.size()) break;
      if (p[++i] < 0xA1 || p[i] > 0xDF) return {false};
      r.score += 0.5;
      ++r.half_kana;
      continue;
    }
    if (b == 0x8F) {  // JIS X 0212
      if (i + 2 >= s.size()) break;
      if (!in(p[i + 1]) || !in(p[i + 2])) return {false};
      i += 2;
      r.score += 0.3;
      continue;
    }
    if (!in(b)) return {false};
    if (i + 1 >= s.size()) break;
    if (!in(p[++i])) return {false};
    if (b == 0xA4 || b == 0xA5) {
      r.score += 2;
      ++r.full_kana;
    } else if (b <= 0xA3 || b == 0xAD) {
      r.score += 0.75;  // symbols, full-width letters and digits, NEC row 13
    } else if (b >= 0xB0 && b <= 0xCF) {
      r.score += 1;
    } else if (b >= 0xD0 && b <= 0xF4) {
      r.score += 0.3;
    } else {
      r.score -= 3;
    }
  }
  return r;
}

// Japanese offices' legacy encodings: CP932 (what Windows writes) and EUC-JP. ICU's detector
// guesses poorly on short texts and on half-width katakana (a six-row CSV came out as UTF-16, a
// longer one as a single-byte charset): bytes valid in one of them that read as Japanese are
// that one. Where both read, kana decide: Japanese text without a single kana is rare, and the
// bytes of one charset read in the other turn into half-width katakana or stray kanji.
const char* japanese_legacy_charset(std::string_view head) {
  // Many NUL bytes: UTF-16 or binary, not a legacy multibyte text.
  if (static_cast<std::size_t>(std::count(head.begin(), head.end(), '\0')) * 10 > head.size())
    return nullptr;
  JapaneseReading sjis = read_as_cp932(head), euc = read_as_euc_jp(head);
  auto plausible = [](const JapaneseReading& r) {
    return r.valid && r.chars >= 2 && r.mean() >= 0.45;
  };
  // A reading without full-width kana is weaker (lists of names and places have none, but
  // they read better in their own charset anyway).
  auto weight = [](const JapaneseReading& r) {
    return r.full_kana > 0 || r.half_kana * 2 >= r.chars ? r.mean() : r.mean() * 0.6;
  };
  const bool s_ok = plausible(sjis), e_ok = plausible(euc);
  // EUC-JP's half-width katakana are 0x8E and a byte: read as CP932, every one of them would be
  // a kanji of one and the same row — no text is that.
  if (e_ok && euc.half_kana >= 2 && euc.half_kana * 2 >= euc.chars) return "EUC-JP";
  if (s_ok && (!e_ok || weight(sjis) >= weight(euc))) return "windows-31j";
  if (e_ok) return "EUC-JP";
  return nullptr;
}

}  // namespace

std::string detect_charset(ByteView sample) {
  const std::string_view s(reinterpret_cast<const char*>(sample.data()), sample.size());
  if (s.substr(0, 3) == "\xEF\xBB\xBF") return "UTF-8";
  if (s.substr(0, 2) == "\xFF\xFE") return "UTF-16LE";
  if (s.substr(0, 2) == "\xFE\xFF") return "UTF-16BE";
  const std::string_view head = s.substr(0, kDetectBytes);
  bool complete = false;
  const std::size_t valid = utf8_valid_prefix(head, complete);
  // ISO-2022-JP is 7-bit, so valid UTF-8 too: its escape sequences say what it is.
  if (head.find("\x1B$B") != std::string_view::npos ||
      head.find("\x1B$@") != std::string_view::npos)
    return "ISO-2022-JP";
  if (valid == head.size() || (complete && valid + 4 > head.size())) return "UTF-8";
  // Mostly UTF-8 with a few bad bytes (a cut, a stray byte): still UTF-8, whose bad bytes
  // are then replaced and counted, rather than a single-byte charset that takes everything.
  std::size_t good = 0, bad = 0;
  {
    const auto* p = reinterpret_cast<const std::uint8_t*>(head.data());
    const std::int32_t n = static_cast<std::int32_t>(head.size());
    for (std::int32_t i = 0; i < n;) {
      if (p[i] < 0x80) {
        ++i;
        continue;
      }
      UChar32 c;
      U8_NEXT(p, i, n, c);
      ++(c < 0 ? bad : good);
    }
  }
  if (good >= 4 && bad * 8 <= good) return "UTF-8";
  if (const char* japanese = japanese_legacy_charset(head)) return japanese;
  UErrorCode status = U_ZERO_ERROR;
  UCharsetDetector* d = ucsdet_open(&status);
  std::string name = "UTF-8";
  if (U_SUCCESS(status)) {
    ucsdet_setText(d, head.data(), static_cast<std::int32_t>(head.size()), &status);
    const UCharsetMatch* m = ucsdet_detect(d, &status);
    if (U_SUCCESS(status) && m != nullptr) {
      const char* n = ucsdet_getName(m, &status);
      if (U_SUCCESS(status) && n != nullptr) name = n;
    }
    ucsdet_close(d);
  }
  return name;
}

Result<std::unique_ptr<TextNormalizer>> TextNormalizer::create(std::string_view charset) {
  std::unique_ptr<TextNormalizer> t(new TextNormalizer());
  UErrorCode status = U_ZERO_ERROR;
  t->nfkc_ = icu::Normalizer2::getNFKCInstance(status);
  if (U_FAILURE(status)) return make_error("ICU has no NFKC data: {}", u_errorName(status));
  if (!charset.empty() && !t->open(charset))
    return make_error("unknown charset {}", std::string(charset));
  return t;
}

TextNormalizer::~TextNormalizer() {
  if (converter_ != nullptr) ucnv_close(converter_);
}

bool TextNormalizer::open(std::string_view charset) {
  charset_ = std::string(charset);
  if (charset_ == "UTF-8" || charset_ == "utf-8" || charset_ == "US-ASCII") {
    utf8_ = true;
    return true;
  }
  UErrorCode status = U_ZERO_ERROR;
  converter_ = ucnv_open(charset_.c_str(), &status);
  if (U_FAILURE(status)) {
    converter_ = nullptr;
    return false;
  }
  return true;
}

void TextNormalizer::feed(ByteView bytes, std::string& out) {
  if (bytes.empty()) return;
  counters_.bytes_in += bytes.size();
  if (!utf8_ && converter_ == nullptr) {
    // The charset is detected on the text's first 64 KiB (or all of a shorter one).
    undetected_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    if (undetected_.size() < kDetectBytes) return;
    start_detected(out);
    return;
  }
  decode(bytes, false, pending_);
  normalize_utf8(false, out);
}

void TextNormalizer::start_detected(std::string& out) {
  const ByteView head(reinterpret_cast<const std::uint8_t*>(undetected_.data()),
                      undetected_.size());
  if (!open(detect_charset(head))) open("UTF-8");
  decode(head, false, pending_);
  undetected_.clear();
  normalize_utf8(false, out);
}

void TextNormalizer::finish(std::string& out) {
  if (!utf8_ && converter_ == nullptr) start_detected(out);
  decode(ByteView(), true, pending_);
  normalize_utf8(true, out);
}

void TextNormalizer::decode(ByteView bytes, bool flush, std::string& utf8) {
  if (utf8_) {
    // UTF-8 stays as it is; only what is not UTF-8 becomes U+FFFD (at the end, when the input
    // ends inside a character).
    std::string_view s(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    std::string joined;
    if (!carry_.empty()) {
      joined = carry_ + std::string(s);
      carry_.clear();
      s = joined;
    }
    while (!s.empty()) {
      bool complete = false;
      const std::size_t valid = utf8_valid_prefix(s, complete);
      utf8.append(s.substr(0, valid));
      s.remove_prefix(valid);
      if (s.empty()) break;
      if (complete && !flush) {  // a character cut by the chunk's end: wait for the rest
        carry_ = std::string(s);
        break;
      }
      // An invalid sequence: the longest ill-formed prefix becomes one replacement (U+FFFD).
      const auto* p = reinterpret_cast<const std::uint8_t*>(s.data());
      std::int32_t i = 0;
      UChar32 c;
      U8_NEXT(p, i, static_cast<std::int32_t>(s.size()), c);
      utf8.append("\xEF\xBF\xBD");
      ++counters_.replaced;
      s.remove_prefix(static_cast<std::size_t>(std::max<std::int32_t>(i, 1)));
    }
    return;
  }
  if (converter_ == nullptr) return;
  // The converter keeps a partial character between calls itself.
  const char* src = reinterpret_cast<const char*>(bytes.data());
  const char* src_end = src + bytes.size();
  utf16_.resize(bytes.size() * 2 + 64);
  for (;;) {
    UErrorCode status = U_ZERO_ERROR;
    UChar* target = reinterpret_cast<UChar*>(utf16_.data());
    UChar* const target_start = target;
    ucnv_toUnicode(converter_, &target, target + utf16_.size(), &src, src_end, nullptr, flush,
                   &status);
    const std::int32_t units = static_cast<std::int32_t>(target - target_start);
    for (std::int32_t k = 0; k < units; ++k)
      if (target_start[k] == 0xFFFD || target_start[k] == 0x1A) ++counters_.replaced;
    std::int32_t need = 0;
    UErrorCode s2 = U_ZERO_ERROR;
    u_strToUTF8WithSub(nullptr, 0, &need, target_start, units, 0xFFFD, nullptr, &s2);
    const std::size_t at = utf8.size();
    utf8.resize(at + static_cast<std::size_t>(need));
    s2 = U_ZERO_ERROR;
    u_strToUTF8WithSub(utf8.data() + at, need, nullptr, target_start, units, 0xFFFD, nullptr, &s2);
    if (status != U_BUFFER_OVERFLOW_ERROR) break;
  }
}

void TextNormalizer::normalize_utf8(bool flush, std::string& out) {
  if (pending_.empty()) return;
  std::size_t cut = pending_.size();
  if (!flush) {
    // Hold back the last segment: a combining mark in the next chunk may change it. A segment
    // starts at a character with a normalisation boundary before it.
    const auto* p = reinterpret_cast<const std::uint8_t*>(pending_.data());
    std::int32_t i = static_cast<std::int32_t>(pending_.size());
    while (i > 0) {
      UChar32 c;
      U8_PREV(p, 0, i, c);
      if (c >= 0 && nfkc_->hasBoundaryBefore(c)) break;
    }
    cut = static_cast<std::size_t>(i);
    // A prolonged sound mark at the end may stand between two digits (see unify_dashes).
    if (cut >= 3 && pending_.compare(cut - 3, 3, "\xE3\x83\xBC") == 0) cut -= 3;
    // A text without any boundary for this long is not text: let it through as it is.
    if (cut == 0 && pending_.size() > (64u << 10)) cut = pending_.size();
  }
  if (cut == 0) return;
  std::string_view done(pending_.data(), cut);
  // ㊙ (the circled "secret" stamped on documents) would become a bare 秘 under NFKC, a
  // character far too common to look for: it is kept as the word people say for it, マル秘.
  std::string marked;
  if (done.find("\xE3\x8A\x99") != std::string_view::npos) {
    for (std::size_t i = 0; i < done.size();) {
      if (done.compare(i, 3, "\xE3\x8A\x99") == 0) {
        marked += "マル秘";
        i += 3;
      } else {
        marked.push_back(done[i++]);
      }
    }
    done = marked;
  }
  const std::size_t before = out.size();
  // Most text is ASCII or already normalised: copy those spans, normalise only the rest.
  UErrorCode status = U_ZERO_ERROR;
  if (nfkc_->isNormalizedUTF8(icu::StringPiece(done.data(), static_cast<std::int32_t>(done.size())),
                              status) &&
      U_SUCCESS(status)) {
    out.append(done);
  } else {
    status = U_ZERO_ERROR;
    icu::StringByteSink<std::string> sink(&out);
    nfkc_->normalizeUTF8(0, icu::StringPiece(done.data(), static_cast<std::int32_t>(done.size())),
                         sink, nullptr, status);
    if (U_FAILURE(status)) {
      out.resize(before);
      out.append(done);
    }
  }
  unify_dashes(out, before);
  counters_.bytes_out += out.size() - before;
  pending_.erase(0, cut);
}

// Japanese text writes the hyphen of a number many ways that NFKC leaves alone: the dashes
// U+2010..U+2015 and the minus sign U+2212 become '-', and so does the prolonged sound mark
// U+30FC (and its half-width form, which NFKC has made U+30FC) between two digits, where it is
// no katakana vowel.
void TextNormalizer::unify_dashes(std::string& out, std::size_t from) {
  std::size_t w = from;
  const std::size_t n = out.size();
  for (std::size_t r = from; r < n;) {
    const auto b = static_cast<unsigned char>(out[r]);
    if ((b == 0xE2 || b == 0xE3) && r + 2 < n) {
      const auto b1 = static_cast<unsigned char>(out[r + 1]);
      const auto b2 = static_cast<unsigned char>(out[r + 2]);
      const bool dash = (b == 0xE2 && b1 == 0x80 && b2 >= 0x90 && b2 <= 0x95) ||
                        (b == 0xE2 && b1 == 0x88 && b2 == 0x92);
      const bool long_mark = b == 0xE3 && b1 == 0x83 && b2 == 0xBC && w > 0 && out[w - 1] >= '0' &&
                             out[w - 1] <= '9' && r + 3 < n && out[r + 3] >= '0' &&
                             out[r + 3] <= '9';
      if (dash || long_mark) {
        out[w++] = '-';
        r += 3;
        continue;
      }
    }
    out[w++] = out[r++];
  }
  out.resize(w);
}

std::string TextNormalizer::normalize(ByteView bytes, std::string_view charset,
                                      std::uint64_t* replaced) {
  std::string out;
  auto t = create(charset);
  if (!t) t = create();
  t.value()->feed(bytes, out);
  t.value()->finish(out);
  if (replaced != nullptr) *replaced = t.value()->counters().replaced;
  return out;
}

}  // namespace kagami::content
