// The HTTP/2 frame parser and HPACK on both sides of a connection, fed in pieces of varying
// size with gaps, with the header table sizes a peer's SETTINGS would grant. Input: [flags: 1]
// then the bytes; flag bit 0 chooses the side, bit 1 whether the preface comes first, the
// rest the piece size.
#include <cstddef>
#include <cstdint>
#include <string>

#include "kagami/wire/http2_parser.h"

namespace {
struct Events final : kagami::wire::Http2Events {
  kagami::wire::Http2Parser* parser = nullptr;
  void on_headers(const kagami::wire::Http2Headers& h) override {
    if (h.fields.size() > 4096) __builtin_trap();  // the bound must hold
  }
  void on_data(std::uint32_t, kagami::ByteView) override {}
  void on_data_gap(std::uint32_t, std::uint64_t) override {}
  void on_end_stream(std::uint32_t) override {}
  void on_rst_stream(std::uint32_t, std::uint32_t) override {}
  void on_goaway(std::uint32_t, std::uint32_t) override {}
  void on_setting(std::uint16_t id, std::uint32_t value) override {
    if (id == kagami::wire::kHttp2SettingHeaderTableSize && parser)
      parser->allow_header_table(value);
  }
  void on_violation(std::string_view) override {}
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kagami;
  if (size < 1) return 0;
  Events events;
  wire::Http2Limits limits;
  limits.max_frame_bytes = 16u << 10;  // small bounds: reach the limit paths quickly
  limits.max_header_block_bytes = 32u << 10;
  limits.max_header_list_bytes = 8u << 10;
  limits.max_fields = 64;
  wire::Http2Parser parser(
      (data[0] & 1) ? wire::Http2Parser::Side::kServer : wire::Http2Parser::Side::kClient, limits,
      events, (data[0] & 2) != 0);
  events.parser = &parser;
  std::string pending;
  const std::size_t piece = 1 + (data[0] >> 2) * 7;
  for (std::size_t i = 1; i < size; i += piece) {
    pending.append(reinterpret_cast<const char*>(data + i), std::min(piece, size - i));
    const wire::Progress p = parser.feed(as_bytes(pending));
    if (p.consumed > pending.size()) __builtin_trap();
    pending.erase(0, p.consumed);
    if (pending.size() > (64u << 10)) {
      parser.gap(pending.size());
      pending.clear();
    }
  }
  return 0;
}
