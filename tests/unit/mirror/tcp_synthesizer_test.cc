// A relayed connection as packets: handshake, segments, acknowledgements and closes whose
// sequence numbers a reassembler follows without a gap; dropped bytes leave an honest one.
#include "kagami/mirror/tcp_synthesizer.h"

#include <gtest/gtest.h>

#include "kagami/packet/decoder.h"
#include "kagami/packet/link_type.h"

namespace kagami::mirror {
namespace {

using namespace packet;

struct Seen {
  bool from_client;
  std::uint32_t seq, ack;
  std::uint8_t flags;
  std::string payload;
};

std::vector<Seen> decode(const FrameBatch& b) {
  std::vector<Seen> out;
  std::size_t at = 0;
  while (at < b.bytes.size()) {
    std::uint32_t h[4];
    std::memcpy(h, b.bytes.data() + at, sizeof h);
    Packet p;
    EXPECT_EQ(
        Decoder::decode(kLinkEthernet, 0, ByteView(b.bytes.data() + at + 16, h[2]), h[3], p).status,
        DecodeStatus::kOk);
    out.push_back(
        {p.src_port == 50000, p.tcp_seq, p.tcp_ack, p.tcp_flags, std::string(as_chars(p.payload))});
    at += 16 + h[2];
  }
  return out;
}

TcpSynthesizer make(std::size_t segment) {
  TcpEnd c, s;
  c.ip = IpAddress::parse("10.0.0.1").value();
  c.port = 50000;
  s.ip = IpAddress::parse("10.0.0.2").value();
  s.port = 443;
  return TcpSynthesizer(c, s, 100, 5000, segment);
}

TEST(TcpSynthesizer, HandshakeSegmentsAcksAndFinsFollowTheSequence) {
  TcpSynthesizer t = make(64);
  FrameBatch b;
  t.open(1, b);
  t.data(2, true, as_bytes(std::string(150, 'a')), b);  // 64 + 64 + 22, then the server's ACK
  t.data(3, false, as_bytes(std::string("ok")), b);
  t.fin(4, true, b);
  t.fin(5, false, b);
  EXPECT_TRUE(t.finished());
  const auto seen = decode(b);
  ASSERT_EQ(seen.size(), 3u + 4u + 2u + 2u + 2u);
  EXPECT_EQ(seen[0].flags, kTcpSyn);
  EXPECT_EQ(seen[0].seq, 100u);
  EXPECT_EQ(seen[1].flags, kTcpSyn | kTcpAck);
  EXPECT_EQ(seen[1].ack, 101u);
  EXPECT_EQ(seen[2].ack, 5001u);
  EXPECT_EQ(seen[3].seq, 101u);
  EXPECT_EQ(seen[4].seq, 165u);
  EXPECT_EQ(seen[5].seq, 229u);
  EXPECT_EQ(seen[5].payload.size(), 22u);
  EXPECT_TRUE(seen[5].flags & kTcpPsh);
  EXPECT_FALSE(seen[6].from_client);
  EXPECT_EQ(seen[6].ack, 251u);
  EXPECT_EQ(seen[7].seq, 5001u);
  EXPECT_EQ(seen[7].payload, "ok");
  EXPECT_EQ(seen[9].flags, kTcpFin | kTcpAck);
  EXPECT_EQ(seen[9].seq, 251u);
  EXPECT_EQ(seen[10].ack, 252u);  // the FIN takes a sequence number
  EXPECT_EQ(seen[11].seq, 5003u);
}

TEST(TcpSynthesizer, DroppedBytesAdvanceTheSequenceSoReceiversSeeAGap) {
  TcpSynthesizer t = make(1460);
  FrameBatch b;
  t.open(1, b);
  t.data(2, true, as_bytes(std::string("abc")), b);
  t.skip(true, 1000);
  t.data(3, true, as_bytes(std::string("def")), b);
  const auto seen = decode(b);
  EXPECT_EQ(seen[3].seq, 101u);
  EXPECT_EQ(seen[5].seq, 1104u);
}

TEST(TcpSynthesizer, ResetEndsTheSessionOnce) {
  TcpSynthesizer t = make(1460);
  FrameBatch b;
  t.data(1, true, as_bytes(std::string("before open")), b);  // nothing before the handshake
  EXPECT_TRUE(b.empty());
  t.open(1, b);
  t.rst(2, false, b);
  t.rst(3, true, b);
  t.fin(4, true, b);
  const auto seen = decode(b);
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[3].flags, kTcpRst | kTcpAck);
  EXPECT_TRUE(t.finished());
}

}  // namespace
}  // namespace kagami::mirror
