#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "kagami/base/byte_view.h"

namespace kagami::content {

enum class PdfStatus : std::uint8_t { kOk, kEncrypted, kCorrupt, kTruncated };

// The text of a PDF (poppler), page after page, as UTF-8 with a line break between pages, at
// most `max_pages` pages and `max_bytes` bytes. A document that needs a password to open is
// kEncrypted (owner-password-only PDFs open and give their text).
PdfStatus pdf_text(ByteView pdf, std::size_t max_pages, std::size_t max_bytes, std::string& out);

}  // namespace kagami::content
