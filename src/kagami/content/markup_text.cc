#include "kagami/content/markup_text.h"

#include <cstdint>

#include "kagami/base/ascii.h"
#include "kagami/content/utf8_append.h"

namespace kagami::content {
namespace {

// A reference after '&' (without it), up to ';': appended decoded, or false when it is none.
bool decode_reference(std::string_view ref, std::string& out) {
  if (!ref.empty() && ref[0] == '#') {
    std::uint32_t cp = 0;
    const bool hex = ref.size() > 1 && (ref[1] == 'x' || ref[1] == 'X');
    std::size_t i = hex ? 2 : 1;
    if (i >= ref.size()) return false;
    for (; i < ref.size(); ++i) {
      const char c = ref[i];
      int d;
      if (c >= '0' && c <= '9')
        d = c - '0';
      else if (hex && c >= 'a' && c <= 'f')
        d = c - 'a' + 10;
      else if (hex && c >= 'A' && c <= 'F')
        d = c - 'A' + 10;
      else
        return false;
      cp = cp * (hex ? 16 : 10) + static_cast<std::uint32_t>(d);
      if (cp > 0x10FFFF) cp = 0x110000;  // stays invalid, no overflow
    }
    append_utf8(cp, out);
    return true;
  }
  struct Named {
    std::string_view name, text;
  };
  static constexpr Named kNamed[] = {{"amp", "&"},  {"lt", "<"},   {"gt", ">"},  {"quot", "\""},
                                     {"apos", "'"}, {"nbsp", " "}, {"yen", "¥"}, {"copy", "©"}};
  for (const Named& n : kNamed) {
    if (ref == n.name) {
      out.append(n.text);
      return true;
    }
  }
  return false;
}

// Element names whose end is the end of a block of text. Prefixes (w:, a:, text:) are
// compared without their namespace.
bool ends_block(std::string_view name) {
  const std::size_t colon = name.find(':');
  if (colon != std::string_view::npos) name.remove_prefix(colon + 1);
  static constexpr std::string_view kBlocks[] = {
      "p",   "br",         "tab",       "tr",         "td", "th",    "li",    "div",
      "h1",  "h2",         "h3",        "h4",         "h5", "h6",    "c",     "si",
      "row", "table-cell", "table-row", "line-break", "sp", "title", "option"};  // not "t": Word
                                                                                 // and PowerPoint
                                                                                 // split one
                                                                                 // paragraph's text
                                                                                 // into many runs
  for (std::string_view b : kBlocks)
    if (iequals(name, b)) return true;
  return false;
}

}  // namespace

void markup_text(std::string_view m, bool html, std::string& out) {
  std::size_t i = 0;
  const std::size_t n = m.size();
  while (i < n) {
    const char c = m[i];
    if (c == '<') {
      if (m.compare(i, 4, "<!--") == 0) {
        const std::size_t e = m.find("-->", i + 4);
        i = e == std::string_view::npos ? n : e + 3;
        continue;
      }
      if (m.compare(i, 9, "<![CDATA[") == 0) {
        const std::size_t e = m.find("]]>", i + 9);
        out.append(m.substr(i + 9, (e == std::string_view::npos ? n : e) - (i + 9)));
        i = e == std::string_view::npos ? n : e + 3;
        continue;
      }
      const std::size_t e = m.find('>', i + 1);
      if (e == std::string_view::npos) break;  // cut inside a tag
      std::string_view tag = m.substr(i + 1, e - i - 1);
      i = e + 1;
      const bool closing = !tag.empty() && tag.front() == '/';
      if (closing) tag.remove_prefix(1);
      std::size_t name_end = 0;
      while (name_end < tag.size() && tag[name_end] != ' ' && tag[name_end] != '/' &&
             tag[name_end] != '\t' && tag[name_end] != '\n' && tag[name_end] != '\r')
        ++name_end;
      const std::string_view name = tag.substr(0, name_end);
      if (html && !closing && (iequals(name, "script") || iequals(name, "style"))) {
        // Their contents are code, not text.
        const std::string end_tag = std::string("</") + std::string(name);
        std::size_t k = i;
        while (k < n) {
          const std::size_t lt = m.find("</", k);
          if (lt == std::string_view::npos) {
            k = n;
            break;
          }
          if (istarts_with(m.substr(lt), end_tag)) {
            k = lt;
            break;
          }
          k = lt + 2;
        }
        i = k;
        continue;
      }
      const bool self_closing = !tag.empty() && tag.back() == '/';
      if ((closing || self_closing || html) && ends_block(name) &&
          (out.empty() || out.back() != '\n'))
        out.push_back('\n');
      continue;
    }
    if (c == '&') {
      const std::size_t semi = m.find(';', i + 1);
      if (semi != std::string_view::npos && semi - i <= 12 &&
          decode_reference(m.substr(i + 1, semi - i - 1), out)) {
        i = semi + 1;
        continue;
      }
    }
    out.push_back(c);
    ++i;
  }
}

}  // namespace kagami::content
