#include "kagami/base/printable.h"

#include "kagami/base/utf8.h"

namespace kagami {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void hex_byte(std::string& out, unsigned char c) {
  out += "\\x";
  out += kHex[c >> 4];
  out += kHex[c & 15];
}

}  // namespace

bool is_invisible_format_char(char32_t cp) {
  return cp == 0x061c ||                    // Arabic letter mark
         (cp >= 0x200b && cp <= 0x200f) ||  // zero-width space/joiners, LRM, RLM
         (cp >= 0x2028 && cp <= 0x202e) ||  // line/paragraph separators, embeddings, overrides
         (cp >= 0x2060 && cp <= 0x2069) ||  // word joiner, invisible operators, isolates
         cp == 0xfeff ||                    // zero-width no-break space (BOM)
         (cp >= 0x80 && cp <= 0x9f);        // C1 controls (NEL among them)
}

std::string printable(std::string_view bytes, std::size_t max_bytes) {
  const bool cut = bytes.size() > max_bytes;
  if (cut) bytes = bytes.substr(0, max_bytes);
  std::string out;
  out.reserve(bytes.size());
  while (!bytes.empty()) {
    char32_t cp = 0;
    const std::size_t n = utf8_sequence(bytes, cp);
    if (n == 0) {
      hex_byte(out, static_cast<unsigned char>(bytes[0]));
      bytes.remove_prefix(1);
      continue;
    }
    if (cp < 0x20 || cp == 0x7f || cp == '\\') {
      hex_byte(out, static_cast<unsigned char>(cp));
    } else if (is_invisible_format_char(cp)) {
      out += "\\u{";
      for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(cp >> shift) & 15];
      out += '}';
    } else {
      out.append(bytes.substr(0, n));
    }
    bytes.remove_prefix(n);
  }
  if (cut) out += "...";
  return out;
}

}  // namespace kagami
