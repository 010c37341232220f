#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace kagami {

// Bytes from the wire (a host name, an SNI, a user name, a URL) made safe for a log line or a
// terminal: control characters, DEL, backslash and bytes that are not UTF-8 become \xNN;
// characters that reorder or hide text (bidi embeddings, overrides and isolates, zero-width
// marks, line and paragraph separators) become \u{XXXX}, so "shadow\u{202E}fdp.exe" cannot pass
// for "shadowexe.pdf" and a newline in an SNI cannot start a forged log line. Printable UTF-8
// passes unchanged. Longer than `max_bytes` of input: cut, and "..." appended.
std::string printable(std::string_view bytes, std::size_t max_bytes = 1024);

// Whether a code point reorders or hides the text around it (what printable() escapes besides
// control characters).
bool is_invisible_format_char(char32_t cp);

}  // namespace kagami
