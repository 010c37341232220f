// A mail message through GMime as the mail analyzers parse it: headers decoded, parts walked,
// attachments decoded, within the nesting and part bounds.
#include <cstddef>
#include <cstdint>

#include "kagami/content/encoded_words.h"
#include "kagami/content/header_params.h"
#include "kagami/content/mime_message.h"

namespace {
struct Parts final : kagami::content::MimePartSink {
  struct Sink final : kagami::content::ByteSink {
    void write(kagami::ByteView) override {}
  } sink;
  kagami::content::ByteSink* begin_part(const kagami::content::MimePartInfo&) override {
    return &sink;
  }
  void end_part(bool) override {}
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kagami;
  content::Spool::Options o;
  o.memory_bytes = 1u << 20;
  content::Spool spool(o);
  spool.write(ByteView(data, size));
  content::MimeLimits limits;
  limits.max_parts = 64;
  Parts parts;
  (void)content::parse_mime_message(spool, limits, parts);
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)content::parse_header_value(text);
  (void)content::to_utf8(text, "ISO-2022-JP");
  // Header text: encoded-words joined and decoded, vendor characters; always UTF-8 or raw.
  (void)content::decode_header_text(text);
  (void)content::japanese_to_utf8(text, "iso-2022-jp");
  (void)content::japanese_to_utf8(text, "euc-jp");
  return 0;
}
