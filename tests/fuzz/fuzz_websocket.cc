// The WebSocket frame parser, fed in pieces of varying size with gaps: headers of every
// length form, masks, control frames. Input: [piece size: 1] then the bytes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "kagami/wire/websocket_parser.h"

namespace {
struct Events final : kagami::wire::WebSocketEvents {
  std::uint64_t expected = 0, seen = 0;
  bool control = false;
  void on_frame(const kagami::wire::WebSocketFrameHeader& h) override {
    expected = h.length;
    seen = 0;
    control = h.control();
    if (control && h.length > 125) __builtin_trap();  // the parser refuses those
  }
  void on_payload(kagami::ByteView b) override { seen += b.size(); }
  void on_payload_gap(std::uint64_t n) override { seen += n; }
  void on_frame_end() override {
    if (seen != expected) __builtin_trap();  // a frame's payload is exactly its length
  }
  void on_violation(std::string_view) override {}
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kagami;
  if (size < 1) return 0;
  Events events;
  wire::WebSocketParser parser(events);
  std::string pending;
  const std::size_t piece = 1 + data[0];
  for (std::size_t i = 1; i < size; i += piece) {
    pending.append(reinterpret_cast<const char*>(data + i), std::min(piece, size - i));
    const wire::Progress p = parser.feed(as_bytes(pending));
    if (p.consumed > pending.size()) __builtin_trap();
    pending.erase(0, p.consumed);
    if (pending.size() > 4096) {
      parser.gap(pending.size());
      pending.clear();
    }
  }
  return 0;
}
