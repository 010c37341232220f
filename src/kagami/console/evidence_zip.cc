#include "kagami/console/evidence_zip.h"

#include <ctime>
#include <memory>

#include <archive.h>
#include <archive_entry.h>

namespace kagami::console {

namespace {

la_ssize_t append(struct archive*, void* out, const void* buf, size_t n) {
  static_cast<std::string*>(out)->append(static_cast<const char*>(buf), n);
  return static_cast<la_ssize_t>(n);
}

}  // namespace

Result<std::string> zip_with_password(std::string_view name, std::string_view bytes,
                                      const char* password) {
  std::unique_ptr<struct archive, int (*)(struct archive*)> a(archive_write_new(),
                                                              archive_write_free);
  std::string out;
  auto fail = [&](const char* what) {
    return make_error("zip: {}: {}", what,
                      archive_error_string(a.get()) ? archive_error_string(a.get()) : "error");
  };
  if (archive_write_set_format_zip(a.get()) != ARCHIVE_OK) return fail("format");
  if (archive_write_set_options(a.get(), "zip:encryption=zipcrypt") != ARCHIVE_OK)
    return fail("encryption");
  if (archive_write_set_passphrase(a.get(), password) != ARCHIVE_OK) return fail("passphrase");
  if (archive_write_open(a.get(), &out, nullptr, append, nullptr) != ARCHIVE_OK)
    return fail("open");
  std::unique_ptr<archive_entry, void (*)(archive_entry*)> e(archive_entry_new(),
                                                             archive_entry_free);
  archive_entry_set_pathname(e.get(), std::string(name).c_str());
  archive_entry_set_size(e.get(), static_cast<la_int64_t>(bytes.size()));
  archive_entry_set_filetype(e.get(), AE_IFREG);
  archive_entry_set_perm(e.get(), 0644);
  archive_entry_set_mtime(e.get(), std::time(nullptr), 0);
  if (archive_write_header(a.get(), e.get()) != ARCHIVE_OK) return fail("header");
  if (archive_write_data(a.get(), bytes.data(), bytes.size()) !=
      static_cast<la_ssize_t>(bytes.size()))
    return fail("data");
  if (archive_write_close(a.get()) != ARCHIVE_OK) return fail("close");
  return out;
}

}  // namespace kagami::console
