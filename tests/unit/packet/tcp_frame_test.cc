// Frames the mirror synthesizes: what the decoder reads back, checksums every receiver accepts.
#include "kagami/packet/tcp_frame.h"

#include <gtest/gtest.h>

#include "kagami/packet/decoder.h"
#include "kagami/packet/link_type.h"

namespace kagami::packet {
namespace {

TcpEnd end(const char* ip, std::uint16_t port, std::uint64_t mac) {
  TcpEnd e;
  e.ip = IpAddress::parse(ip).value();
  e.port = port;
  e.mac = mac;
  return e;
}

// The one's-complement sum over a header with its checksum in place is all ones.
bool sums_to_zero(std::uint32_t sum) { return internet_checksum_finish(sum) == 0; }

TEST(TcpFrame, Ipv4FrameDecodesWithValidChecksums) {
  std::vector<std::uint8_t> f;
  const std::string payload = "GET / HTTP/1.1\r\n\r\nodd";  // odd length: the padded byte
  append_tcp_frame(f, end("10.1.2.3", 40000, 0x020000000001), end("192.0.2.9", 443, 0x020000000002),
                   1000, 2000, kTcpAck | kTcpPsh, as_bytes(payload), 7);
  Packet p;
  ASSERT_EQ(Decoder::decode(kLinkEthernet, 0, ByteView(f.data(), f.size()),
                            static_cast<std::uint32_t>(f.size()), p)
                .status,
            DecodeStatus::kOk);
  EXPECT_EQ(p.src_ip.to_string(), "10.1.2.3");
  EXPECT_EQ(p.dst_port, 443);
  EXPECT_EQ(p.tcp_seq, 1000u);
  EXPECT_EQ(p.tcp_ack, 2000u);
  EXPECT_EQ(p.tcp_flags, kTcpAck | kTcpPsh);
  EXPECT_EQ(std::string(as_chars(p.payload)), payload);
  EXPECT_EQ(p.src_mac, 0x020000000001u);
  const std::uint8_t* ip = f.data() + 14;
  EXPECT_TRUE(sums_to_zero(internet_checksum_add(0, ip, 20)));
  const std::size_t tcp_len = f.size() - 34;
  std::uint32_t sum = internet_checksum_add(0, ip + 12, 8);
  const std::uint8_t tail[4] = {0, 6, static_cast<std::uint8_t>(tcp_len >> 8),
                                static_cast<std::uint8_t>(tcp_len)};
  sum = internet_checksum_add(sum, tail, 4);
  EXPECT_TRUE(sums_to_zero(internet_checksum_add(sum, ip + 20, tcp_len)));
}

TEST(TcpFrame, Ipv6FrameDecodesWithValidChecksum) {
  std::vector<std::uint8_t> f;
  const std::string payload(1001, 'x');
  append_tcp_frame(f, end("2001:db8::1", 5555, 1), end("2001:db8::2", 80, 2), 7, 9, kTcpAck,
                   as_bytes(payload));
  Packet p;
  ASSERT_EQ(Decoder::decode(kLinkEthernet, 0, ByteView(f.data(), f.size()),
                            static_cast<std::uint32_t>(f.size()), p)
                .status,
            DecodeStatus::kOk);
  EXPECT_EQ(p.ip_version, 6);
  EXPECT_EQ(p.payload.size(), payload.size());
  const std::uint8_t* ip = f.data() + 14;
  const std::size_t tcp_len = f.size() - 54;
  std::uint32_t sum = internet_checksum_add(0, ip + 8, 32);
  std::uint8_t tail[8] = {
      0, 0, static_cast<std::uint8_t>(tcp_len >> 8), static_cast<std::uint8_t>(tcp_len), 0, 0,
      0, 6};
  sum = internet_checksum_add(sum, tail, 8);
  EXPECT_TRUE(sums_to_zero(internet_checksum_add(sum, ip + 40, tcp_len)));
}

TEST(TcpFrame, ChecksumMatchesRfc1071Example) {
  // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (complement 220d).
  const std::uint8_t bytes[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  const std::uint16_t c = internet_checksum_finish(internet_checksum_add(0, bytes, sizeof bytes));
  const auto* b = reinterpret_cast<const std::uint8_t*>(&c);
  EXPECT_EQ(b[0], 0x22);
  EXPECT_EQ(b[1], 0x0d);
}

}  // namespace
}  // namespace kagami::packet
