#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kagami {

// Standard base64 (RFC 4648 4) decoding as protocols use it (HTTP Basic, SMTP AUTH): padding
// optional, whitespace ignored; nullopt on any other character.
std::optional<std::string> base64_decode(std::string_view text);

// Standard base64 with padding (MIME encoded words, Basic credentials).
std::string base64_encode(std::string_view bytes);

}  // namespace kagami
