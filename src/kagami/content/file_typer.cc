#include "kagami/content/file_typer.h"

#include <algorithm>

#include <magic.h>

namespace kagami::content {

FileTyper::FileTyper()
    : magic_(magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_ERROR)) {
  if (magic_ != nullptr && magic_load(magic_, nullptr) != 0) {
    magic_close(magic_);
    magic_ = nullptr;
  }
}

FileTyper::~FileTyper() {
  if (magic_ != nullptr) magic_close(magic_);
}

std::string FileTyper::mime(ByteView prefix) {
  if (prefix.empty()) return "application/x-empty";
  if (magic_ == nullptr) return "application/octet-stream";
  const char* t =
      magic_buffer(magic_, prefix.data(), std::min<std::size_t>(prefix.size(), 64u << 10));
  return t != nullptr ? t : "application/octet-stream";
}

}  // namespace kagami::content
