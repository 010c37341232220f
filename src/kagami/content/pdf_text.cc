#include "kagami/content/pdf_text.h"

#include <memory>
#include <vector>

#include <poppler-document.h>
#include <poppler-global.h>
#include <poppler-page.h>

namespace kagami::content {
namespace {

// Poppler reports every oddity of a malformed file on stderr; the caller flags the file.
void quiet(const std::string&, void*) {}

}  // namespace

PdfStatus pdf_text(ByteView pdf, std::size_t max_pages, std::size_t max_bytes, std::string& out) {
  static const bool silenced = [] {
    poppler::set_debug_error_function(quiet, nullptr);
    return true;
  }();
  (void)silenced;
  // load_from_raw_data wants a writable buffer it does not own.
  std::vector<char> copy(pdf.begin(), pdf.end());
  std::unique_ptr<poppler::document> doc(
      poppler::document::load_from_raw_data(copy.data(), static_cast<int>(copy.size())));
  if (!doc) return PdfStatus::kCorrupt;
  if (doc->is_locked()) return PdfStatus::kEncrypted;
  const int pages = doc->pages();
  const std::size_t start = out.size();
  for (int i = 0; i < pages; ++i) {
    if (static_cast<std::size_t>(i) >= max_pages || out.size() - start >= max_bytes)
      return PdfStatus::kTruncated;
    std::unique_ptr<poppler::page> page(doc->create_page(i));
    if (!page) continue;
    const poppler::byte_array utf8 = page->text().to_utf8();
    out.append(utf8.begin(), utf8.end());
    out.push_back('\n');
  }
  return PdfStatus::kOk;
}

}  // namespace kagami::content
