#include "kagami/wire/websocket_parser.h"

#include <algorithm>

namespace kagami::wire {

void WebSocketParser::fail(std::string_view what) {
  if (failed_) return;
  failed_ = true;
  events_.on_violation(what);
}

Progress WebSocketParser::feed(ByteView data) {
  std::size_t used = 0;
  while (used < data.size() && !failed_) {
    const ByteView rest = data.subspan(used);
    if (in_payload_) {
      const std::size_t n =
          static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, rest.size()));
      const std::size_t chunk = std::min<std::size_t>(n, 64u << 10);
      scratch_.assign(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(chunk));
      if (current_.masked)
        for (std::size_t i = 0; i < chunk; ++i) scratch_[i] ^= current_.mask[(offset_ + i) & 3];
      events_.on_payload(ByteView(scratch_.data(), chunk));
      used += chunk;
      offset_ += chunk;
      remaining_ -= chunk;
      if (remaining_ == 0) {
        in_payload_ = false;
        events_.on_frame_end();
      }
      continue;
    }
    if (rest.size() < 2) return {used, 2};
    WebSocketFrameHeader h;
    h.fin = rest[0] & 0x80;
    h.rsv1 = rest[0] & 0x40;
    h.opcode = rest[0] & 0x0f;
    h.masked = rest[1] & 0x80;
    std::size_t head = 2;
    std::uint64_t len = rest[1] & 0x7f;
    if (len == 126) {
      head = 4;
      if (rest.size() < head) return {used, head};
      len = load_be16(rest.data() + 2);
    } else if (len == 127) {
      head = 10;
      if (rest.size() < head) return {used, head};
      len = (std::uint64_t{load_be32(rest.data() + 2)} << 32) | load_be32(rest.data() + 6);
      if (len >> 63) {
        fail("websocket.bad_length");  // RFC 6455 5.2: the most significant bit is 0
        break;
      }
    }
    if (h.masked) {
      if (rest.size() < head + 4) return {used, head + 4};
      std::copy_n(rest.begin() + static_cast<std::ptrdiff_t>(head), 4, h.mask.begin());
      head += 4;
    }
    h.length = len;
    if ((h.opcode > 2 && h.opcode < 8) || h.opcode > 10) {
      fail("websocket.reserved_opcode");
      break;
    }
    if (h.control() && (!h.fin || len > 125)) {
      fail("websocket.bad_control_frame");  // RFC 6455 5.5: whole and short
      break;
    }
    used += head;
    current_ = h;
    events_.on_frame(h);
    offset_ = 0;
    remaining_ = len;
    if (len == 0) {
      events_.on_frame_end();
    } else {
      in_payload_ = true;
    }
  }
  if (failed_) return {data.size(), 0};
  return {used, 0};
}

void WebSocketParser::gap(std::uint64_t bytes) {
  if (in_payload_ && bytes <= remaining_) {
    events_.on_payload_gap(bytes);
    remaining_ -= bytes;
    offset_ += bytes;
    if (remaining_ == 0) {
      in_payload_ = false;
      events_.on_frame_end();
    }
    return;
  }
  fail("websocket.gap");
}

}  // namespace kagami::wire
