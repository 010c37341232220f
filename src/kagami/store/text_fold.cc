#include "kagami/store/text_fold.h"

#include <algorithm>

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include "kagami/base/ascii.h"

namespace kagami::store {

namespace {

bool ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return (c & 0x80) == 0; });
}

}  // namespace

std::string fold_case(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  if (ascii(utf8)) {
    for (const char c : utf8) out += ascii_lower(c);
    return out;
  }
  const auto* p = reinterpret_cast<const std::uint8_t*>(utf8.data());
  const auto n = static_cast<std::int32_t>(utf8.size());
  std::int32_t i = 0;
  while (i < n) {
    const std::int32_t start = i;
    UChar32 c = 0;
    U8_NEXT(p, i, n, c);
    if (c < 0) {
      out.append(utf8.substr(static_cast<std::size_t>(start), static_cast<std::size_t>(i - start)));
      continue;
    }
    const UChar32 f = u_foldCase(c, U_FOLD_CASE_DEFAULT);
    // A folded code point is a valid one: four bytes at most, no error to handle.
    char buf[U8_MAX_LENGTH];
    std::int32_t len = 0;
    U8_APPEND_UNSAFE(reinterpret_cast<std::uint8_t*>(buf), len, f);
    out.append(buf, static_cast<std::size_t>(len));
  }
  return out;
}

bool holds_folded(std::string_view text, std::string_view folded_needle) {
  if (folded_needle.empty()) return true;
  if (ascii(text)) {
    // No allocation for the usual URL: compare lower-cased bytes in place.
    const auto it =
        std::search(text.begin(), text.end(), folded_needle.begin(), folded_needle.end(),
                    [](char a, char b) { return ascii_lower(a) == b; });
    return it != text.end();
  }
  return fold_case(text).find(folded_needle) != std::string::npos;
}

}  // namespace kagami::store
