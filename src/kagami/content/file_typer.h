#pragma once

#include <string>
#include <string_view>

#include "kagami/base/byte_view.h"

struct magic_set;  // libmagic's handle, kept out of this header

namespace kagami::content {

// The common kinds of text decided without libmagic (HTML, XML, SVG, JSON, plain text), the
// way libmagic decides them; empty when the text names its own kind or is not text.
std::string sniff_text_type(std::string_view head);
// Compression formats, web images, fonts, WebAssembly and PDF by their signatures, as
// libmagic names them; empty for anything else.
std::string sniff_binary_type(std::string_view head);

// The type of content by its bytes (libmagic, MIME form: "application/pdf"). Not shareable
// between threads: one per worker.
class FileTyper {
 public:
  FileTyper();
  ~FileTyper();
  FileTyper(const FileTyper&) = delete;
  FileTyper& operator=(const FileTyper&) = delete;

  // Looks at no more than the first 4 KiB it is given.
  std::string mime(ByteView prefix);

 private:
  ::magic_set* magic_ = nullptr;
};

}  // namespace kagami::content
