#pragma once

#include <string>

#include "kagami/base/byte_view.h"

struct magic_set;  // libmagic's handle, kept out of this header

namespace kagami::content {

// The type of content by its bytes (libmagic, MIME form: "application/pdf"). Not shareable
// between threads: one per worker.
class FileTyper {
 public:
  FileTyper();
  ~FileTyper();
  FileTyper(const FileTyper&) = delete;
  FileTyper& operator=(const FileTyper&) = delete;

  // Looks at no more than the first 64 KiB it is given.
  std::string mime(ByteView prefix);

 private:
  ::magic_set* magic_ = nullptr;
};

}  // namespace kagami::content
