#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace kagami {

// The length of the well-formed UTF-8 sequence at the start of `s` (RFC 3629: no overlongs,
// no surrogates, nothing above U+10FFFF) and its code point; 0 when there is none.
std::size_t utf8_sequence(std::string_view s, char32_t& code_point);

// Whether every byte of `s` belongs to a well-formed UTF-8 sequence.
bool is_valid_utf8(std::string_view s);

// `s` with each byte that is not part of a well-formed sequence replaced by U+FFFD.
std::string replace_invalid_utf8(std::string_view s);

// UTF-16LE (Windows names: SMB, NTLM) as UTF-8; an unpaired surrogate or an odd last byte
// becomes U+FFFD.
std::string utf16le_to_utf8(std::string_view s);

}  // namespace kagami
