#pragma once

#include <cstdint>

#include "kagami/base/byte_view.h"
#include "kagami/mirror/frame_batch.h"
#include "kagami/packet/tcp_frame.h"

namespace kagami::mirror {

// One relayed connection as the packets a tap between client and server would have seen:
// three-way handshake, data segments of at most `segment_bytes` each acknowledged by the
// other side, FIN or RST at the end, sequence numbers counted from random ISNs. Bytes the
// mirror had to drop still advance the sequence, so receivers see an honest gap.
class TcpSynthesizer {
 public:
  TcpSynthesizer(const packet::TcpEnd& client, const packet::TcpEnd& server,
                 std::uint32_t client_isn, std::uint32_t server_isn, std::size_t segment_bytes);

  void open(TimeNs ts, FrameBatch& out);
  // A connection that was never made (the proxy refused its destination): the client's SYN
  // answered by a reset, as a closed port would answer it. Nothing may follow.
  void refuse(TimeNs ts, FrameBatch& out);
  void data(TimeNs ts, bool from_client, ByteView bytes, FrameBatch& out);
  void skip(bool from_client, std::uint64_t bytes);  // dropped, never written
  // FIN from one side, acknowledged by the other; when both sides have closed, the session ends.
  void fin(TimeNs ts, bool from_client, FrameBatch& out);
  void rst(TimeNs ts, bool from_client, FrameBatch& out);

  bool opened() const { return opened_; }
  bool finished() const { return (fin_c_ && fin_s_) || reset_; }

 private:
  void frame(TimeNs ts, bool from_client, std::uint8_t flags, ByteView payload, FrameBatch& out);

  packet::TcpEnd client_, server_;
  std::uint32_t seq_c_, seq_s_;  // next sequence number each side sends
  std::size_t segment_bytes_;
  std::uint16_t ip_id_c_ = 0, ip_id_s_ = 0;
  bool opened_ = false, fin_c_ = false, fin_s_ = false, reset_ = false;
};

}  // namespace kagami::mirror
