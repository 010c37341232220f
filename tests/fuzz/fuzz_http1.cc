// The HTTP/1 parser on both sides, fed in pieces of varying size with gaps and an end.
#include <cstddef>
#include <cstdint>

#include "kagami/wire/http1_parser.h"

namespace {
struct Events final : kagami::wire::HttpEvents {
  void on_head(const kagami::wire::HttpHead&) override {}
  void on_body(kagami::ByteView) override {}
  void on_body_gap(std::uint64_t) override {}
  void on_message_end(bool) override {}
  void on_violation(std::string_view) override {}
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kagami;
  if (size < 1) return 0;
  Events events;
  wire::HttpLimits limits;
  limits.max_head_bytes = 4096;
  wire::Http1Parser parser(
      (data[0] & 1) ? wire::Http1Parser::Side::kResponses : wire::Http1Parser::Side::kRequests,
      limits, events);
  std::string pending;
  const std::size_t piece = 1 + (data[0] >> 1);
  for (std::size_t i = 1; i < size; i += piece) {
    pending.append(reinterpret_cast<const char*>(data + i), std::min(piece, size - i));
    const wire::Progress p = parser.feed(as_bytes(pending));
    if (p.consumed > pending.size()) __builtin_trap();
    pending.erase(0, p.consumed);
    if (pending.size() > 65536) {
      parser.gap(pending.size());
      pending.clear();
    }
  }
  parser.end();
  return 0;
}
