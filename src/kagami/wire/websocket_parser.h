#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "kagami/base/byte_view.h"
#include "kagami/wire/progress.h"

namespace kagami::wire {

// RFC 6455 5.2's frame header.
struct WebSocketFrameHeader {
  bool fin = false;
  bool rsv1 = false;  // permessage-deflate: the message is compressed (its first frame)
  std::uint8_t opcode = 0;
  bool masked = false;
  std::array<std::uint8_t, 4> mask{};
  std::uint64_t length = 0;

  bool control() const { return opcode >= 8; }
};

class WebSocketEvents {
 public:
  virtual ~WebSocketEvents() = default;
  virtual void on_frame(const WebSocketFrameHeader& header) = 0;
  virtual void on_payload(ByteView unmasked) = 0;
  virtual void on_payload_gap(std::uint64_t bytes) = 0;
  virtual void on_frame_end() = 0;
  // A frame that breaks the protocol's rules: the direction stops.
  virtual void on_violation(std::string_view what) = 0;
};

// One direction of a WebSocket connection: frame headers, then their payloads unmasked and
// passed on as they arrive (a frame of any length needs no buffer). Does no I/O.
class WebSocketParser {
 public:
  explicit WebSocketParser(WebSocketEvents& events) : events_(events) {}
  Progress feed(ByteView data);
  // Lost bytes: inside a payload the frame goes on with a hole; anywhere else frame
  // boundaries are gone and the direction stops.
  void gap(std::uint64_t bytes);
  bool failed() const { return failed_; }

 private:
  void fail(std::string_view what);

  WebSocketEvents& events_;
  WebSocketFrameHeader current_;
  bool in_payload_ = false;
  std::uint64_t remaining_ = 0;
  std::uint64_t offset_ = 0;  // into the payload, for the mask
  bool failed_ = false;
  std::vector<std::uint8_t> scratch_;
};

}  // namespace kagami::wire
