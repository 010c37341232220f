#pragma once

#include <string>
#include <string_view>

namespace kagami::content {

// Bytes in a charset a Japanese office names, as UTF-8, with the vendor characters its
// software really writes: "ISO-2022-JP" as Outlook writes it (CP50220: NEC's ①, ㈱ and the
// IBM kanji 髙, 﨑 inside ESC $ B, half-width katakana after ESC ( I), "Shift_JIS" as CP932,
// EUC-JP with NEC's row 13. Other charsets go to the general converter. Bytes that are not
// in the charset become U+FFFD.
std::string japanese_to_utf8(std::string_view bytes, std::string_view charset);
// Whether japanese_to_utf8 has a converter of its own for `charset` (lower-case).
bool japanese_charset(std::string_view charset);

// A header's text as a person wrote it (RFC 5322 unfolding, RFC 2047 encoded-words): adjacent
// encoded-words in one charset are joined before they are turned into text (mailers split a
// character, an ISO-2022-JP escape sequence, or a base64 quantum padded with '=' across two
// words); whitespace between encoded-words goes; raw 8-bit text is read as UTF-8, else as
// ISO-2022-JP (escape sequences) or CP932.
std::string decode_header_text(std::string_view raw);

}  // namespace kagami::content
