#include "kagami/mirror/tcp_synthesizer.h"

#include <algorithm>

namespace kagami::mirror {

using namespace packet;

TcpSynthesizer::TcpSynthesizer(const TcpEnd& client, const TcpEnd& server, std::uint32_t client_isn,
                               std::uint32_t server_isn, std::size_t segment_bytes)
    : client_(client),
      server_(server),
      seq_c_(client_isn),
      seq_s_(server_isn),
      // One IPv4 packet holds 65,535 bytes: 20 of IP and 20 of TCP header leave 65,495.
      segment_bytes_(std::clamp<std::size_t>(segment_bytes, 64, 65495)) {}

void TcpSynthesizer::frame(TimeNs ts, bool from_client, std::uint8_t flags, ByteView payload,
                           FrameBatch& out) {
  const std::size_t at = out.begin_record();
  if (from_client) {
    append_tcp_frame(out.bytes, client_, server_, seq_c_, (flags & kTcpAck) ? seq_s_ : 0, flags,
                     payload, ip_id_c_++);
  } else {
    append_tcp_frame(out.bytes, server_, client_, seq_s_, (flags & kTcpAck) ? seq_c_ : 0, flags,
                     payload, ip_id_s_++);
  }
  out.end_record(at, ts);
  // SYN and FIN take one sequence number each (RFC 9293 3.4).
  const std::uint32_t used =
      static_cast<std::uint32_t>(payload.size()) + ((flags & (kTcpSyn | kTcpFin)) ? 1 : 0);
  (from_client ? seq_c_ : seq_s_) += used;
}

void TcpSynthesizer::open(TimeNs ts, FrameBatch& out) {
  if (opened_) return;
  opened_ = true;
  frame(ts, true, kTcpSyn, {}, out);
  frame(ts, false, kTcpSyn | kTcpAck, {}, out);
  frame(ts, true, kTcpAck, {}, out);
}

void TcpSynthesizer::refuse(TimeNs ts, FrameBatch& out) {
  if (opened_) return;
  opened_ = reset_ = true;
  frame(ts, true, kTcpSyn, {}, out);
  frame(ts, false, kTcpRst | kTcpAck, {}, out);
}

void TcpSynthesizer::data(TimeNs ts, bool from_client, ByteView bytes, FrameBatch& out) {
  if (!opened_ || reset_ || bytes.empty()) return;
  while (!bytes.empty()) {
    const std::size_t n = std::min(bytes.size(), segment_bytes_);
    frame(ts, from_client, kTcpAck | (n == bytes.size() ? kTcpPsh : 0), bytes.first(n), out);
    bytes = bytes.subspan(n);
  }
  frame(ts, !from_client, kTcpAck, {}, out);
}

void TcpSynthesizer::skip(bool from_client, std::uint64_t bytes) {
  (from_client ? seq_c_ : seq_s_) += static_cast<std::uint32_t>(bytes);
}

void TcpSynthesizer::fin(TimeNs ts, bool from_client, FrameBatch& out) {
  bool& done = from_client ? fin_c_ : fin_s_;
  if (!opened_ || reset_ || done) return;
  done = true;
  frame(ts, from_client, kTcpFin | kTcpAck, {}, out);
  frame(ts, !from_client, kTcpAck, {}, out);
}

void TcpSynthesizer::rst(TimeNs ts, bool from_client, FrameBatch& out) {
  if (!opened_ || reset_ || (fin_c_ && fin_s_)) return;
  reset_ = true;
  frame(ts, from_client, kTcpRst | kTcpAck, {}, out);
}

}  // namespace kagami::mirror
