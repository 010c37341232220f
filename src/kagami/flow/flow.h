#pragma once

#include <cstdint>
#include <memory>

#include "kagami/base/location_codec.h"
#include "kagami/base/time.h"
#include "kagami/flow/flow_key.h"
#include "kagami/flow/stream_sink.h"
#include "kagami/flow/tcp_stream.h"

namespace kagami::flow {

enum class EndReason : std::uint8_t {
  kFin,  // both sides closed, and the close linger passed
  kRst,  // reset, and the close linger passed
  kIdleTimeout,
  kAbsoluteTimeout,  // the session got too long and is continued in a new record
  kEvicted,          // the flow table was full
  kPortReuse,        // a new connection reused the addresses and ports
  kEndOfInput,       // the capture ended with the flow still open
};

const char* end_reason_name(EndReason reason);

struct TcpState {
  TcpStream stream[2];                   // by Direction
  TcpStream::Stats at_session_start[2];  // stream stats when the current session began
  bool fin[2] = {false, false};
  bool rst[2] = {false, false};
  bool handshake_seen = false;  // the SYN from the client was seen
};

// One bidirectional flow, owned by the FlowTable of the worker that sees its packets.
struct Flow {
  FlowKey key;
  std::uint64_t hash = 0;
  std::uint64_t session_id = 0;  // set by the observer when a session starts
  bool client_is_a = true;       // which side of the key opened the connection
  TimeNs ts_first = 0;           // of the current session
  TimeNs ts_last = 0;
  std::uint64_t pkts[2] = {0, 0};   // by Direction
  std::uint64_t bytes[2] = {0, 0};  // payload bytes on the wire, retransmissions included
  std::uint64_t mac[2] = {0, 0};    // source MAC of each direction
  bool mid_stream = false;          // the connection's start was not seen
  bool truncated = false;           // some packet was cut by the snap length
  bool malformed = false;           // some packet had lying length fields
  bool fragmented = false;          // some packet was rebuilt from IP fragments
  bool fragment_conflict = false;
  bool continued = false;  // continues a session cut by the absolute timeout
  bool closing = false;
  std::unique_ptr<TcpState> tcp;  // TCP flows only
  LocationEncoder locations;
  std::uint32_t location_part = 0;         // chunks handed over so far
  std::uint64_t frames = 0;                // archived frames of this session (fragments each count)
  StreamSink* sink = nullptr;              // set by the observer for TCP payload, may stay null
  std::unique_ptr<StreamSink> owned_sink;  // the observer may give the flow its sink to own

  Direction direction_of(bool src_is_a) const {
    return src_is_a == client_is_a ? Direction::kClientToServer : Direction::kServerToClient;
  }
  const IpAddress& client_ip() const { return client_is_a ? key.a : key.b; }
  const IpAddress& server_ip() const { return client_is_a ? key.b : key.a; }
  std::uint16_t client_port() const { return client_is_a ? key.port_a : key.port_b; }
  std::uint16_t server_port() const { return client_is_a ? key.port_b : key.port_a; }

  // Per-session TCP stream stats (sessions cut by the absolute timeout start from zero).
  TcpStream::Stats session_stream_stats(Direction d) const;

  // Owned by the FlowTable.
  Flow* lru_prev = nullptr;
  Flow* lru_next = nullptr;
  TimeNs session_start = 0;
  std::uint8_t timeout_class = 0;
};

}  // namespace kagami::flow
