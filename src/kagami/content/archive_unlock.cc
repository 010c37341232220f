#include "kagami/content/archive_unlock.h"

#include <memory>

#include <archive.h>
#include <archive_entry.h>

#include "kagami/base/utf8.h"
#include "kagami/content/header_params.h"

namespace kagami::content {
namespace {

using Reader = std::unique_ptr<archive, decltype(&archive_read_free)>;

Reader open_zip(ByteView bytes, const std::string* password) {
  Reader a(archive_read_new(), &archive_read_free);
  archive_read_support_format_zip(a.get());
  if (password != nullptr) archive_read_add_passphrase(a.get(), password->c_str());
  if (archive_read_open_memory(a.get(), bytes.data(), bytes.size()) != ARCHIVE_OK)
    return {nullptr, &archive_read_free};
  return a;
}

std::string error_of(archive* a) {
  const char* why = archive_error_string(a);
  return why != nullptr ? why : "unknown error";
}

bool says_password(const std::string& why) {
  return why.find("assphrase") != std::string::npos || why.find("ncrypt") != std::string::npos ||
         why.find("assword") != std::string::npos;
}

// Reads the current entry's data to its end, at most `max_bytes`; false on any error (a wrong
// password shows as one: the check byte or the AES verifier, or a CRC that does not match).
bool drain(archive* a, std::uint64_t max_bytes, std::string* out) {
  char buf[64 * 1024];
  std::uint64_t total = 0;
  for (;;) {
    const la_ssize_t n = archive_read_data(a, buf, sizeof buf);
    if (n == 0) return true;
    if (n < 0) return false;
    total += static_cast<std::uint64_t>(n);
    if (total > max_bytes) return false;
    if (out != nullptr) out->append(buf, static_cast<std::size_t>(n));
  }
}

enum class Try : std::uint8_t { kOpens, kWrong, kNothingEncrypted, kUnsupported, kCorrupt };

// Whether `password` opens the archive's first encrypted member (read whole: a traditional
// zip password passes its one check byte by chance once in 256 tries, its CRC does not).
Try try_password(ByteView bytes, const std::string* password, const ExtractLimits& limits,
                 std::string& why) {
  Reader a = open_zip(bytes, password);
  if (!a) {
    why = "not a zip that opens";
    return Try::kCorrupt;
  }
  archive_entry* e = nullptr;
  for (std::uint32_t n = 0; n <= limits.max_members; ++n) {
    const int rc = archive_read_next_header(a.get(), &e);
    if (rc == ARCHIVE_EOF) return Try::kNothingEncrypted;
    if (rc < ARCHIVE_WARN) {
      why = error_of(a.get());
      return says_password(why) ? Try::kUnsupported : Try::kCorrupt;
    }
    if (archive_entry_filetype(e) != AE_IFREG || !archive_entry_is_data_encrypted(e)) continue;
    if (password == nullptr) return Try::kWrong;
    if (drain(a.get(), limits.max_expanded_bytes, nullptr)) return Try::kOpens;
    why = error_of(a.get());
    // A wrong password fails its check or, past a traditional zip's check byte (1 in 256),
    // decrypts to data that does not inflate or fails the CRC; data that ends early is
    // damage, whatever the password.
    const bool wrong = says_password(why) || why.find("CRC") != std::string::npos ||
                       why.find("decompression failed (-3)") != std::string::npos ||  // garbage
                       why.find("wrong size") != std::string::npos ||  // garbage that inflates
                       why.find("Authentication code") != std::string::npos;  // AES HMAC
    return wrong ? Try::kWrong : Try::kCorrupt;
  }
  return Try::kNothingEncrypted;
}

}  // namespace

std::string archive_member_name(const char* raw) {
  std::string name = raw != nullptr ? raw : "data";
  if (!is_valid_utf8(name)) {
    std::string decoded = to_utf8(name, "cp932");
    if (is_valid_utf8(decoded) && decoded.find("\xEF\xBF\xBD") == std::string::npos)
      name = std::move(decoded);
  }
  return name;
}

Unlock unlock_archive(ByteView archive_bytes, const std::vector<std::string>& passwords,
                      const ExtractLimits& limits, const UnlockedMember& member) {
  Unlock u;
  const std::string_view head = as_chars(archive_bytes).substr(0, 4);
  if (head != "PK\x03\x04") {
    // 7-Zip's and RAR's encryption is not something libarchive undoes.
    const std::string_view h6 = as_chars(archive_bytes).substr(0, 6);
    if (h6 == "7z\xBC\xAF\x27\x1C" || h6 == "Rar!\x1A\x07") {
      u.status = Unlock::Status::kUnsupported;
      u.note = "7-Zip and RAR encryption cannot be opened here";
    }
    return u;
  }
  std::string why;
  switch (try_password(archive_bytes, nullptr, limits, why)) {
    case Try::kNothingEncrypted:
      return u;
    case Try::kUnsupported:
      u.status = Unlock::Status::kUnsupported;
      u.note = "encryption that cannot be opened here: " + why;
      return u;
    case Try::kCorrupt:
      u.status = Unlock::Status::kCorrupt;
      u.note = why;
      return u;
    case Try::kWrong:
    case Try::kOpens:
      break;
  }
  u.status = Unlock::Status::kWrongPassword;
  u.note = "no password tried opens it";
  for (std::size_t i = 0; i < passwords.size(); ++i) {
    const Try t = try_password(archive_bytes, &passwords[i], limits, why);
    if (t == Try::kOpens) {
      u.status = Unlock::Status::kOpened;
      u.password = static_cast<int>(i);
      u.note.clear();
      break;
    }
    if (t == Try::kCorrupt) {
      u.status = Unlock::Status::kCorrupt;
      u.note = "damaged: " + why;
    }
  }
  if (u.status != Unlock::Status::kOpened) return u;

  Reader a = open_zip(archive_bytes, &passwords[static_cast<std::size_t>(u.password)]);
  if (!a) return u;
  archive_entry* e = nullptr;
  std::string data;
  for (;;) {
    const int rc = archive_read_next_header(a.get(), &e);
    if (rc == ARCHIVE_EOF) break;
    if (rc < ARCHIVE_WARN) {
      u.truncated = true;
      u.note = "damaged after member " + std::to_string(u.members) + ": " + error_of(a.get());
      break;
    }
    if (archive_entry_filetype(e) != AE_IFREG) continue;
    if (u.members >= limits.max_members) {
      u.truncated = true;
      u.note = "members beyond " + std::to_string(limits.max_members) + " not read";
      break;
    }
    const std::string path = archive_member_name(archive_entry_pathname(e));
    const std::uint64_t room = limits.max_expanded_bytes - u.bytes;
    data.clear();
    if (!drain(a.get(), room, &data)) {
      u.truncated = true;
      u.note = "member " + path + " not read whole: " +
               (data.size() >= room ? "beyond the expansion bound" : error_of(a.get()));
      if (data.size() >= room) break;
      continue;
    }
    // A bomb: far more out than in. Flagged, not followed.
    if (u.bytes + data.size() > (1u << 20) &&
        u.bytes + data.size() >
            static_cast<std::uint64_t>(limits.max_ratio) * archive_bytes.size()) {
      u.truncated = true;
      u.note = "expands beyond its ratio bound at " + path;
      break;
    }
    ++u.members;
    u.bytes += data.size();
    member(path, as_bytes(data));
  }
  return u;
}

}  // namespace kagami::content
