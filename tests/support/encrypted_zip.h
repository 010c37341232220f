#pragma once

// Password-protected zips, written by libarchive as a PPAP sender's tool writes them:
// traditional PKWARE encryption ("zipcrypt", what Windows' and most Japanese tools make) or
// WinZip AES ("aes256").

#include <string>
#include <utility>
#include <vector>

#include <archive.h>
#include <archive_entry.h>

namespace kagami::test {

inline std::string encrypted_zip(const std::vector<std::pair<std::string, std::string>>& members,
                                 const std::string& password,
                                 const std::string& encryption = "zipcrypt") {
  archive* a = archive_write_new();
  archive_write_set_format_zip(a);
  std::string out;
  bool ok = archive_write_set_options(a, ("zip:encryption=" + encryption).c_str()) == ARCHIVE_OK &&
            archive_write_set_passphrase(a, password.c_str()) == ARCHIVE_OK;
  archive_write_set_bytes_in_last_block(a, 1);
  ok = ok && archive_write_open(
                 a, &out, nullptr,
                 [](archive*, void* data, const void* buf, size_t n) -> la_ssize_t {
                   static_cast<std::string*>(data)->append(static_cast<const char*>(buf), n);
                   return static_cast<la_ssize_t>(n);
                 },
                 nullptr) == ARCHIVE_OK;
  for (const auto& [name, data] : members) {
    if (!ok) break;
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
    ok = archive_write_header(a, e) == ARCHIVE_OK &&
         archive_write_data(a, data.data(), data.size()) == static_cast<la_ssize_t>(data.size());
    archive_entry_free(e);
  }
  ok = archive_write_close(a) == ARCHIVE_OK && ok;
  archive_write_free(a);
  return ok ? out : std::string();
}

}  // namespace kagami::test
