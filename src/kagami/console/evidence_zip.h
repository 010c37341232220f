#pragma once

#include <string>
#include <string_view>

#include "kagami/base/result.h"

namespace kagami::console {

// Malware leaves the console only inside a password-protected zip, as forensic tools hand it
// over, so that no scanner, mail gateway or double-click runs it on the way. The password is
// the one analysts expect: "infected".
inline constexpr const char* kEvidenceZipPassword = "infected";

// A zip holding `bytes` as `name`, encrypted (traditional PKWARE encryption, which every unzip
// opens; the point is to keep the file inert, not secret).
Result<std::string> zip_with_password(std::string_view name, std::string_view bytes,
                                      const char* password = kEvidenceZipPassword);

}  // namespace kagami::console
