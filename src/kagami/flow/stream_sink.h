#pragma once

#include <cstdint>

#include "kagami/base/byte_view.h"
#include "kagami/base/time.h"

namespace kagami::flow {

enum class Direction : std::uint8_t { kClientToServer = 0, kServerToClient = 1 };

inline int index(Direction d) { return static_cast<int>(d); }
inline Direction opposite(Direction d) {
  return d == Direction::kClientToServer ? Direction::kServerToClient : Direction::kClientToServer;
}

// Receives a TCP connection's reassembled byte streams: ordered, each byte once. This is the
// interface protocol analyzers plug into.
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  // Next bytes of one direction; `ts` is the time of the packet that carried them.
  virtual void on_data(Direction dir, TimeNs ts, ByteView bytes) = 0;
  // `bytes` bytes of this direction were never seen (capture loss, snap length, memory bound);
  // the stream goes on after them.
  virtual void on_gap(Direction dir, TimeNs ts, std::uint64_t bytes) = 0;
  // No more bytes will come in this direction.
  virtual void on_end(Direction dir, TimeNs ts) = 0;
  // A UDP payload (datagram protocols have no stream).
  virtual void on_datagram(Direction dir, TimeNs ts, ByteView payload) {
    (void)dir;
    (void)ts;
    (void)payload;
  }
};

}  // namespace kagami::flow
