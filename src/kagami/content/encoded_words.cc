#include "kagami/content/encoded_words.h"

#include <unicode/ucnv.h>
#include <unicode/ucnv_cb.h>
#include <unicode/ustring.h>

#include "kagami/base/ascii.h"
#include "kagami/base/base64.h"
#include "kagami/base/utf8.h"
#include "kagami/content/header_params.h"
#include "kagami/content/text_normalizer.h"

namespace kagami::content {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

// What a byte that is not in the charset becomes: U+FFFD, whatever the converter's own
// substitution (CP932's is U+001A, which would hide the damage).
void to_replacement(const void*, UConverterToUnicodeArgs* args, const char*, int32_t,
                    UConverterCallbackReason reason, UErrorCode* err) {
  if (reason > UCNV_IRREGULAR) return;  // reset, close, clone: nothing to write
  static const UChar kFffd = 0xFFFD;
  *err = U_ZERO_ERROR;
  ucnv_cbToUWriteUChars(args, &kFffd, 1, 0, err);
}

// ICU's converter (its CP932 and EUC-JP tables hold the NEC and IBM characters).
std::string icu_to_utf8(std::string_view bytes, const char* charset) {
  UErrorCode status = U_ZERO_ERROR;
  UConverter* c = ucnv_open(charset, &status);
  if (U_FAILURE(status)) return std::string(bytes);
  ucnv_setToUCallBack(c, to_replacement, nullptr, nullptr, nullptr, &status);
  std::u16string wide(bytes.size() + 1, u'\0');
  const int32_t n =
      ucnv_toUChars(c, reinterpret_cast<UChar*>(wide.data()), static_cast<int32_t>(wide.size()),
                    bytes.data(), static_cast<int32_t>(bytes.size()), &status);
  ucnv_close(c);
  if (U_FAILURE(status)) return std::string(bytes);
  std::string out(static_cast<std::size_t>(n) * 3 + 1, '\0');
  int32_t len = 0;
  status = U_ZERO_ERROR;
  u_strToUTF8(out.data(), static_cast<int32_t>(out.size()), &len,
              reinterpret_cast<const UChar*>(wide.data()), n, &status);
  if (U_FAILURE(status)) return std::string(bytes);
  out.resize(static_cast<std::size_t>(len));
  return out;
}

// ISO-2022-JP in any of its Microsoft forms (CP50220/50221/50222) to CP932 bytes: JIS X 0208
// pairs become Shift_JIS pairs by the standard arithmetic, which lands NEC row 13 (①, ㈱) and
// the NEC-selected IBM rows (髙, 﨑) exactly where CP932 has them; half-width katakana after
// ESC ( I, or between SO and SI, become the single bytes 0xA1-0xDF.
std::string iso2022jp_to_cp932(std::string_view in) {
  enum class Mode { kAscii, kJis0208, kKana };
  Mode mode = Mode::kAscii;
  bool shifted = false;  // SO ... SI: half-width katakana (CP50222)
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const auto c = static_cast<unsigned char>(in[i]);
    if (c == 0x1B && i + 2 < in.size()) {
      const std::string_view esc = in.substr(i + 1, 2);
      if (esc == "(B" || esc == "(J") {
        mode = Mode::kAscii;
      } else if (esc == "$@" || esc == "$B") {
        mode = Mode::kJis0208;
      } else if (esc == "(I") {
        mode = Mode::kKana;
      } else {
        out.push_back(static_cast<char>(c));
        continue;
      }
      i += 2;
      continue;
    }
    if (c == 0x0E || c == 0x0F) {
      shifted = c == 0x0E;
      continue;
    }
    if (c == '\r' || c == '\n') {  // a line ends in ASCII whatever the mailer forgot
      mode = Mode::kAscii;
      shifted = false;
      out.push_back(static_cast<char>(c));
      continue;
    }
    if ((mode == Mode::kKana || shifted) && c >= 0x21 && c <= 0x5F) {
      out.push_back(static_cast<char>(c | 0x80));
      continue;
    }
    if (mode == Mode::kJis0208 && c >= 0x21 && c <= 0x7E && i + 1 < in.size()) {
      const auto j1 = c, j2 = static_cast<unsigned char>(in[i + 1]);
      if (j2 < 0x21 || j2 > 0x7E) {
        out += kReplacement;  // not a pair: nothing a decoder could make of it
        continue;
      }
      unsigned s1 = ((j1 - 0x21u) >> 1) + 0x81u;
      if (s1 > 0x9F) s1 += 0x40;
      unsigned s2 = (j1 & 1) ? j2 + 0x1Fu : j2 + 0x7Eu;
      if ((j1 & 1) && s2 >= 0x7F) ++s2;
      out.push_back(static_cast<char>(s1));
      out.push_back(static_cast<char>(s2));
      ++i;
      continue;
    }
    out.push_back(static_cast<char>(c));
  }
  return out;
}

// Text outside encoded-words: UTF-8, or raw ISO-2022-JP, or CP932; bytes no charset makes
// sense of stay as they are (written out later with their exact bytes beside).
std::string plain_header_text(std::string_view s) {
  if (s.find("\x1B$B") != std::string_view::npos || s.find("\x1B$@") != std::string_view::npos)
    return japanese_to_utf8(s, "iso-2022-jp");
  if (is_valid_utf8(s)) return std::string(s);
  // Guessed as a body is (CP932, EUC-JP from their byte structure, else ICU's guess).
  std::string decoded = japanese_to_utf8(s, detect_charset(as_bytes(s)));
  if (decoded.find(kReplacement) == std::string::npos && is_valid_utf8(decoded)) return decoded;
  return std::string(s);
}

std::string unfold(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\r' && i + 1 < raw.size() && raw[i + 1] == '\n') continue;
    if (raw[i] == '\n') continue;  // folding: the whitespace that follows stays
    out.push_back(raw[i]);
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 2047 4.2: '_' is a space, =XX a byte.
std::string q_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '_') {
      out.push_back(' ');
    } else if (s[i] == '=' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 &&
               hex_value(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

bool blank(std::string_view s) {
  for (char c : s)
    if (c != ' ' && c != '\t') return false;
  return true;
}

}  // namespace

enum class Japanese { kNone, kIso2022Jp, kCp932, kEucJp };

Japanese japanese_kind(std::string_view cs) {
  for (const char* n : {"iso-2022-jp", "iso-2022-jp-ms", "csiso2022jp", "cp50220", "cp50221",
                        "cp50222", "iso-2022-jp-1", "iso-2022-jp-3"})
    if (cs == n) return Japanese::kIso2022Jp;
  for (const char* n : {"shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji", "csshiftjis",
                        "windows-31j", "cp932", "ms932", "windows-932"})
    if (cs == n) return Japanese::kCp932;
  for (const char* n : {"euc-jp", "x-euc-jp", "eucjp", "cp51932", "eucjp-ms"})
    if (cs == n) return Japanese::kEucJp;
  return Japanese::kNone;
}

bool japanese_charset(std::string_view charset) {
  return japanese_kind(lower(charset)) != Japanese::kNone;
}

std::string japanese_to_utf8(std::string_view bytes, std::string_view charset) {
  const std::string cs = lower(charset);
  switch (japanese_kind(cs)) {
    case Japanese::kIso2022Jp:
      return icu_to_utf8(iso2022jp_to_cp932(bytes), "windows-31j");
    case Japanese::kCp932:
      return icu_to_utf8(bytes, "windows-31j");
    case Japanese::kEucJp:
      return icu_to_utf8(bytes, "EUC-JP");
    case Japanese::kNone:
      break;
  }
  if (cs == "utf-8" || cs == "utf8") return replace_invalid_utf8(bytes);
  return to_utf8(bytes, charset);
}

std::string decode_header_text(std::string_view raw) {
  const std::string s = unfold(raw);
  std::string out;
  std::string group_charset, group_bytes;  // adjacent encoded-words in one charset
  bool in_group = false;
  auto flush = [&] {
    if (in_group) out += japanese_to_utf8(group_bytes, group_charset);
    in_group = false;
    group_bytes.clear();
  };
  std::size_t i = 0;
  while (i < s.size()) {
    const std::size_t start = s.find("=?", i);
    if (start == std::string::npos) {
      if (!(in_group && blank(std::string_view(s).substr(i)))) {
        flush();
        out += plain_header_text(std::string_view(s).substr(i));
      }
      break;
    }
    // =?charset[*language]?B|Q?text?=
    const std::size_t q1 = s.find('?', start + 2);
    const bool shaped =
        q1 != std::string::npos && q1 + 3 < s.size() && s[q1 + 2] == '?' &&
        (s[q1 + 1] == 'B' || s[q1 + 1] == 'b' || s[q1 + 1] == 'Q' || s[q1 + 1] == 'q');
    const std::size_t end = shaped ? s.find("?=", q1 + 3) : std::string::npos;
    if (!shaped || end == std::string::npos || q1 == start + 2) {
      flush();
      out += plain_header_text(std::string_view(s).substr(i, start + 2 - i));
      i = start + 2;
      continue;
    }
    const std::string_view between = std::string_view(s).substr(i, start - i);
    if (!(in_group && blank(between))) {
      flush();
      out += plain_header_text(between);
    }
    std::string charset = lower(std::string_view(s).substr(start + 2, q1 - start - 2));
    charset = charset.substr(0, charset.find('*'));  // RFC 2231 5: a language may follow
    const std::string_view text = std::string_view(s).substr(q1 + 3, end - q1 - 3);
    std::string bytes;
    if (s[q1 + 1] == 'B' || s[q1 + 1] == 'b') {
      bytes = base64_decode(text).value_or(std::string(text));
    } else {
      bytes = q_decode(text);
    }
    if (!in_group || charset != group_charset) {
      flush();
      group_charset = charset;
      in_group = true;
    }
    group_bytes += bytes;
    i = end + 2;
  }
  flush();
  return out;
}

}  // namespace kagami::content
