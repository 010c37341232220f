#include "kagami/analyzers/mail/password_notice.h"

#include <algorithm>
#include <array>

#include "kagami/base/utf8.h"

namespace kagami::analyzers {
namespace {

// One character of the text, folded the way a reader sees it: full-width ASCII (Ｐａｓｓ１２) as
// ASCII, the ideographic space as a space, ASCII letters lower-cased.
struct Char {
  char32_t c;
  std::size_t offset, length;
};

char32_t fold(char32_t c) {
  if (c >= 0xFF01 && c <= 0xFF5E) c = c - 0xFF01 + 0x21;
  if (c == 0x3000) c = ' ';
  if (c >= 'A' && c <= 'Z') c = c - 'A' + 'a';
  return c;
}

std::vector<Char> decode(std::string_view text) {
  std::vector<Char> out;
  out.reserve(text.size());
  std::size_t at = 0;
  while (at < text.size()) {
    char32_t cp = 0;
    std::size_t n = utf8_sequence(text.substr(at), cp);
    if (n == 0) {
      cp = 0xFFFD;
      n = 1;
    }
    out.push_back({fold(cp), at, n});
    at += n;
  }
  return out;
}

bool ascii_letter(char32_t c) { return c >= 'a' && c <= 'z'; }
bool ascii_alnum(char32_t c) { return ascii_letter(c) || (c >= '0' && c <= '9'); }
// What a password is typed with: printable ASCII, no space.
bool password_char(char32_t c) { return c > 0x20 && c < 0x7F; }
bool line_end(char32_t c) { return c == '\n' || c == '\r'; }
// What rules a line off rather than says something.
bool ruling(char32_t c) {
  if (c < 0x80) return !ascii_alnum(c);
  for (char32_t r : U"■□◆◇●○★☆※ー－―─━…・")
    if (c == r) return true;
  return false;
}

// Words that introduce a password, folded. ASCII ones must stand as words ("pass" is not in
// "passport"); a plural 's' is allowed.
constexpr std::array<std::u32string_view, 16> kWords = {
    U"パスワード", U"ﾊﾟｽﾜｰﾄﾞ",  U"パスコード", U"暗証番号", U"解凍キー", U"解凍コード",
    U"解凍用キー", U"解除キー", U"password",   U"passwd",   U"passcode", U"passphrase",
    U"pass",       U"pwd",      U"pw",         U"パス"};

// The end of a password word starting at i, or 0.
std::size_t word_at(const std::vector<Char>& t, std::size_t i) {
  for (std::u32string_view w : kWords) {
    if (i + w.size() > t.size()) continue;
    bool same = true;
    for (std::size_t k = 0; k < w.size() && same; ++k) same = t[i + k].c == w[k];
    if (!same) continue;
    std::size_t end = i + w.size();
    if (ascii_letter(w[0])) {
      if (i > 0 && ascii_alnum(t[i - 1].c)) continue;
      if (end < t.size() && t[end].c == 's') ++end;
      if (end < t.size() && ascii_letter(t[end].c)) continue;
    }
    // "パス" alone is a password only where a value follows it ("パス：abcd"), never in
    // パスポート or パスタ: it must be followed by a separator.
    if (w == U"パス" && (end >= t.size() || (t[end].c != ':' && t[end].c != 0xFF1A))) continue;
    return end;
  }
  return 0;
}

char32_t closing_quote(char32_t open) {
  switch (open) {
    case U'「':
      return U'」';
    case U'『':
      return U'』';
    case U'【':
      return U'】';
    case U'“':
      return U'”';
    case U'‘':
      return U'’';
    case '"':
      return '"';
    case '\'':
      return '\'';
    case '[':
      return ']';
    case '<':
      return '>';
    case '(':
      return ')';
    default:
      return 0;
  }
}

class Finder {
 public:
  Finder(std::string_view text, const PasswordNoticeLimits& limits)
      : text_(text), limits_(limits), t_(decode(text)) {}

  std::vector<PasswordSpan> run() {
    for (std::size_t i = 0; i < t_.size() && out_.size() < limits_.max_candidates;) {
      const std::size_t end = word_at(t_, i);
      if (end == 0) {
        ++i;
        continue;
      }
      if (!on_the_line(end)) below(end);
      i = end;
    }
    return std::move(out_);
  }

 private:
  // "パスワード：X", "パスワードは「X」です", "PW (半角): X".
  bool on_the_line(std::size_t i) {
    // What stands between the word and its value: separators, a closing bracket around the
    // word itself, the particle は, and a short note in brackets ("（半角英数）").
    for (int steps = 0; i < t_.size() && steps < 24; ++steps) {
      const char32_t c = t_[i].c;
      if (c == ' ' || c == '\t' || c == ':' || c == '=' || c == '>' || c == ']' || c == U'】' ||
          c == U'」' || c == U'』' || c == U'：' || c == U'は' || c == U'、' || c == U'■' ||
          c == '-' || c == U'→') {
        ++i;
        continue;
      }
      // English: "the password is: X", "passwords are X".
      if ((c == 'i' || c == 'a') && i + 2 < t_.size()) {
        const bool is =
            c == 'i' && t_[i + 1].c == 's' && (t_[i + 2].c == ' ' || t_[i + 2].c == ':');
        const bool are = c == 'a' && i + 3 < t_.size() && t_[i + 1].c == 'r' &&
                         t_[i + 2].c == 'e' && (t_[i + 3].c == ' ' || t_[i + 3].c == ':');
        if (is || are) {
          i += is ? 2 : 3;
          continue;
        }
      }
      if (c == '(' || c == U'（') {
        std::size_t k = i + 1;
        while (k < t_.size() && k < i + 20 && t_[k].c != ')' && t_[k].c != U'）' &&
               !line_end(t_[k].c))
          ++k;
        if (k < t_.size() && (t_[k].c == ')' || t_[k].c == U'）')) {
          i = k + 1;
          continue;
        }
      }
      break;
    }
    if (i >= t_.size() || line_end(t_[i].c)) return false;
    return value_at(i, true);
  }

  // The value on a line of its own below the word (blank and ruled lines skipped).
  void below(std::size_t i) {
    while (i < t_.size() && !line_end(t_[i].c)) ++i;
    for (int lines = 0; i < t_.size() && lines < 6; ++lines) {
      while (i < t_.size() && line_end(t_[i].c)) ++i;
      std::size_t a = i;
      while (i < t_.size() && !line_end(t_[i].c)) ++i;
      std::size_t b = i;
      while (a < b && (t_[a].c == ' ' || t_[a].c == '\t')) ++a;
      while (b > a && (t_[b - 1].c == ' ' || t_[b - 1].c == '\t')) --b;
      if (a == b) continue;
      bool decoration = true;  // "-----", "＝＝＝", "■■■"
      for (std::size_t k = a; k < b && decoration; ++k) decoration = ruling(t_[k].c);
      if (decoration) continue;
      // The line is the value when it is one token (perhaps quoted).
      std::size_t s = a, e = b;
      const char32_t close = closing_quote(t_[s].c);
      if (close != 0 && e - s > 2 && t_[e - 1].c == close) {
        ++s;
        --e;
      }
      bool one = true;
      for (std::size_t k = s; k < e && one; ++k) one = password_char(t_[k].c);
      if (one) add(s, e, false);
      return;  // the first line with something on it says it
    }
  }

  // The value starting at i: up to its closing quote if it opens with one, else the run of
  // password characters.
  bool value_at(std::size_t i, bool same_line) {
    const char32_t close = closing_quote(t_[i].c);
    std::size_t s = i, e = i;
    if (close != 0) {
      s = e = i + 1;
      while (e < t_.size() && e - s <= limits_.max_length && t_[e].c != close &&
             password_char(t_[e].c))
        ++e;
      if (e < t_.size() && t_[e].c == close) return add(s, e, false);
      e = s;  // no closing quote: read as a bare value
      s = i;
      e = i;
    }
    while (e < t_.size() && password_char(t_[e].c)) ++e;
    if (e == s) return false;
    // Prose, not a value: "Password: will follow", "PW is below".
    bool letters = true;
    for (std::size_t k = s; k < e; ++k) letters = letters && ascii_letter(t_[k].c);
    if (same_line && letters && e + 1 < t_.size() && t_[e].c == ' ' && ascii_letter(t_[e + 1].c))
      return false;
    return add(s, e, true);
  }

  // Records t_[s, e) as a candidate; with `trim`, also without a sentence's last full stop.
  bool add(std::size_t s, std::size_t e, bool trim) {
    if (e <= s) return false;
    bool added = add_one(s, e);
    if (trim && e - s > 1) {
      const char32_t last = t_[e - 1].c;
      if (last == '.' || last == ',' || last == ')' || last == ';')
        added = add_one(s, e - 1) || added;
    }
    return added;
  }

  bool add_one(std::size_t s, std::size_t e) {
    if (e - s < limits_.min_length || e - s > limits_.max_length) return false;
    std::string value;
    bool alnum = false;
    for (std::size_t k = s; k < e; ++k) {
      // The folded character, with its case back: the fold lower-cased letters.
      const std::string_view raw = text_.substr(t_[k].offset, t_[k].length);
      char32_t c = t_[k].c;
      if (ascii_letter(c)) {
        const bool upper = (raw.size() == 1 && raw[0] >= 'A' && raw[0] <= 'Z') ||
                           (raw.size() == 3 && static_cast<unsigned char>(raw[0]) == 0xEF &&
                            static_cast<unsigned char>(raw[1]) == 0xBC);  // Ａ-Ｚ
        if (upper) c = c - 'a' + 'A';
      }
      alnum = alnum || ascii_alnum(t_[k].c);
      value.push_back(static_cast<char>(c));
    }
    if (!alnum) return false;
    if (value.find("://") != std::string::npos || value.rfind("www.", 0) == 0) return false;
    const std::size_t at = value.find('@');
    if (at != std::string::npos && at > 0 && value.find('.', at) != std::string::npos &&
        value.back() != '.')
      return false;  // an address
    for (const PasswordSpan& p : out_)
      if (p.value == value) return false;
    if (out_.size() >= limits_.max_candidates) return false;
    PasswordSpan p;
    p.offset = t_[s].offset;
    p.length = t_[e - 1].offset + t_[e - 1].length - p.offset;
    p.value = std::move(value);
    out_.push_back(std::move(p));
    return true;
  }

  std::string_view text_;
  const PasswordNoticeLimits& limits_;
  std::vector<Char> t_;
  std::vector<PasswordSpan> out_;
};

}  // namespace

std::vector<PasswordSpan> find_passwords(std::string_view text,
                                         const PasswordNoticeLimits& limits) {
  if (text.size() > limits.max_text_bytes) text = text.substr(0, limits.max_text_bytes);
  return Finder(text, limits).run();
}

std::string mask_passwords(std::string_view text, const std::vector<PasswordSpan>& spans) {
  std::vector<PasswordSpan> sorted(spans);
  std::sort(sorted.begin(), sorted.end(), [](const PasswordSpan& a, const PasswordSpan& b) {
    return a.offset != b.offset ? a.offset < b.offset : a.length > b.length;
  });
  std::string out;
  std::size_t at = 0;
  for (const PasswordSpan& p : sorted) {
    if (p.offset < at || p.offset + p.length > text.size()) continue;  // inside one masked
    out.append(text.substr(at, p.offset - at));
    out += "********";
    at = p.offset + p.length;
  }
  out.append(text.substr(at));
  return out;
}

}  // namespace kagami::analyzers
