// Text extraction on arbitrary bytes: sniffing, markup, RTF, charsets and NFKC, and archives
// (zip, tar, gzip) followed recursively under small bounds. PDFs are left to poppler's own
// fuzzing: its time on a hostile file is not ours to bound.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "kagami/content/document_text.h"
#include "kagami/content/markup_text.h"
#include "kagami/content/rtf_text.h"

using namespace kagami;
using namespace kagami::content;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view s(reinterpret_cast<const char*>(data), size);
  if (s.substr(0, 1024).find("%PDF-") != std::string_view::npos) return 0;
  ExtractLimits limits;
  limits.max_expanded_bytes = 8u << 20;
  limits.max_text_bytes = 4u << 20;
  limits.max_members = 256;
  std::uint64_t seen = 0;
  const ExtractReport r = DocumentText(limits).extract(
      ByteView(data, size), "", "",
      [&](std::string_view text, std::string_view) { seen += text.size(); });
  if (seen != r.text_bytes || seen > limits.max_text_bytes) __builtin_trap();
  std::string out;
  markup_text(s, true, out);
  out.clear();
  rtf_text(s, out);
  return 0;
}
