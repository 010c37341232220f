#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "kagami/base/byte_view.h"
#include "kagami/content/document_text.h"

namespace kagami::content {

// A password-protected archive opened with a password the traffic gave (PPAP), or why not.
struct Unlock {
  enum class Status : std::uint8_t {
    kNotEncrypted,   // nothing in it needs a password
    kOpened,         // `password` opened it; its members were handed on
    kWrongPassword,  // encrypted, and none of the passwords opens it
    kUnsupported,    // encrypted in a way that cannot be undone here (7-Zip, RAR)
    kCorrupt,        // not an archive that reads
  };
  Status status = Status::kNotEncrypted;
  int password = -1;  // the index of the one that opened it
  std::uint32_t members = 0;
  std::uint64_t bytes = 0;  // of the members handed on
  bool truncated = false;   // members or bytes beyond the limits (or a bomb) not handed on
  std::string note;
};

// Tries each password on a zip's encrypted members (traditional PKWARE encryption and WinZip
// AES, through libarchive), and on success hands every file in it, decrypted, to `member`
// with its path (CP932 names read as such). The extraction limits bound the members, the
// bytes and the expansion ratio, as for any archive.
using UnlockedMember = std::function<void(const std::string& path, ByteView data)>;
Unlock unlock_archive(ByteView archive, const std::vector<std::string>& passwords,
                      const ExtractLimits& limits, const UnlockedMember& member);

// An archive member's name as UTF-8: zips made on Japanese Windows name their members in
// CP932 without saying so (no UTF-8 flag); bytes that are not CP932 either stay as they are.
std::string archive_member_name(const char* raw);

}  // namespace kagami::content
