#include "kagami/content/rtf_text.h"

#include <cstdint>
#include <vector>

#include "kagami/content/text_normalizer.h"
#include "kagami/content/utf8_append.h"

namespace kagami::content {
namespace {

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

struct Group {
  bool skip = false;  // a destination without text
  int uc = 1;         // fallback characters after \uN
};

constexpr std::size_t kMaxDepth = 256;  // deeper groups are treated as one (bounded stack)

}  // namespace

void rtf_text(std::string_view r, std::string& out) {
  std::string charset = "windows-1252";
  std::string bytes;  // \'hh bytes waiting to be decoded together (a DBCS character is two)
  auto flush_bytes = [&] {
    if (bytes.empty()) return;
    out += TextNormalizer::normalize(
        ByteView(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()), charset);
    bytes.clear();
  };
  std::vector<Group> stack(1);
  int skip_fallback = 0;  // characters still to skip after a \uN
  std::size_t i = 0;
  const std::size_t n = r.size();
  while (i < n) {
    const char c = r[i];
    if (c == '{') {
      flush_bytes();
      if (stack.size() < kMaxDepth) stack.push_back(stack.back());
      ++i;
      continue;
    }
    if (c == '}') {
      flush_bytes();
      if (stack.size() > 1) stack.pop_back();
      ++i;
      continue;
    }
    Group& g = stack.back();
    if (c == '\\' && i + 1 < n) {
      const char d = r[i + 1];
      if (d == '\'' && i + 3 < n) {  // \'hh
        auto hex = [](char h) {
          return h >= '0' && h <= '9'   ? h - '0'
                 : h >= 'a' && h <= 'f' ? h - 'a' + 10
                 : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                        : -1;
        };
        const int hi = hex(r[i + 2]), lo = hex(r[i + 3]);
        i += 4;
        if (skip_fallback > 0) {
          --skip_fallback;
          continue;
        }
        if (hi >= 0 && lo >= 0 && !g.skip) bytes.push_back(static_cast<char>(hi * 16 + lo));
        continue;
      }
      if (!is_alpha(d)) {  // a control symbol
        i += 2;
        if (d == '*') {
          g.skip = true;
        } else if (!g.skip && (d == '\\' || d == '{' || d == '}')) {
          flush_bytes();
          out.push_back(d);
        } else if (!g.skip && d == '~') {
          flush_bytes();
          out.push_back(' ');
        }
        continue;
      }
      // A control word: letters, an optional signed number, an optional space.
      std::size_t k = i + 1;
      while (k < n && is_alpha(r[k]) && k - i < 32) ++k;
      const std::string_view word = r.substr(i + 1, k - i - 1);
      bool negative = false;
      if (k < n && r[k] == '-') {
        negative = true;
        ++k;
      }
      long value = 0;
      bool has_value = false;
      while (k < n && is_digit(r[k])) {
        if (value < 100000000) value = value * 10 + (r[k] - '0');
        has_value = true;
        ++k;
      }
      if (negative) value = -value;
      if (k < n && r[k] == ' ') ++k;
      i = k;
      if (word == "ansicpg" && has_value) {
        flush_bytes();
        charset = value == 932 ? "Shift_JIS" : "windows-" + std::to_string(value);
      } else if (word == "u" && has_value) {
        flush_bytes();
        if (!g.skip)
          append_utf8(static_cast<std::uint32_t>(value < 0 ? value + 65536 : value), out);
        skip_fallback = g.uc;
      } else if (word == "uc" && has_value) {
        g.uc = static_cast<int>(value);
      } else if (word == "fonttbl" || word == "colortbl" || word == "stylesheet" ||
                 word == "info" || word == "pict" || word == "object" || word == "themedata" ||
                 word == "datastore" || word == "latentstyles" || word == "listtable" ||
                 word == "listoverridetable" || word == "rsidtbl" || word == "generator" ||
                 word == "xmlnstbl" || word == "colorschememapping") {
        g.skip = true;
      } else if (!g.skip && (word == "par" || word == "line" || word == "cell" || word == "row" ||
                             word == "sect" || word == "page")) {
        flush_bytes();
        out.push_back('\n');
      } else if (!g.skip && word == "tab") {
        flush_bytes();
        out.push_back('\t');
      }
      continue;
    }
    ++i;
    if (c == '\r' || c == '\n') continue;
    if (skip_fallback > 0) {
      --skip_fallback;
      continue;
    }
    if (g.skip) continue;
    flush_bytes();
    out.push_back(c);
  }
  flush_bytes();
}

}  // namespace kagami::content
