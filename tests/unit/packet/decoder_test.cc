#include "kagami/packet/decoder.h"

#include <gtest/gtest.h>

#include "kagami/packet/link_type.h"

#include "support/packets.h"

namespace kagami::packet {
namespace {

using namespace kagami::test;

DecodeResult decode(int link, const Bytes& f, Packet& p, std::uint32_t wire_len = 0) {
  return Decoder::decode(link, 1, ByteView(f.data(), f.size()),
                         wire_len ? wire_len : static_cast<std::uint32_t>(f.size()), p);
}

const Bytes kSeg = tcp(40000, 80, 1000, 2000, kAck | kPsh, "GET / HTTP/1.1\r\n\r\n");

void expect_tcp_to_80(const Packet& p) {
  EXPECT_EQ(p.ip_version, 4);
  EXPECT_EQ(p.src_ip.to_string(), "10.0.0.1");
  EXPECT_EQ(p.dst_ip.to_string(), "10.0.0.2");
  EXPECT_EQ(p.ip_proto, kProtoTcp);
  ASSERT_TRUE(p.has_l4);
  EXPECT_EQ(p.src_port, 40000);
  EXPECT_EQ(p.dst_port, 80);
  EXPECT_EQ(p.tcp_seq, 1000u);
  EXPECT_EQ(p.tcp_ack, 2000u);
  EXPECT_EQ(p.tcp_flags, kAck | kPsh);
  EXPECT_EQ(as_chars(p.payload), "GET / HTTP/1.1\r\n\r\n");
  EXPECT_EQ(p.payload_wire_len, 18u);
}

// One IPv4 TCP packet in every supported link type decodes to the same fields.
TEST(Decoder, EveryLinkTypeCarriesTheSameTcpPacket) {
  const Bytes ip4 = ipv4(ip("10.0.0.1"), ip("10.0.0.2"), 6, kSeg);
  Bytes null_le = {2, 0, 0, 0};
  append(null_le, ip4);
  Bytes null_be = {0, 0, 0, 2};  // written by a big-endian host
  append(null_be, ip4);
  Bytes loop = {0, 0, 0, 2};
  append(loop, ip4);
  const struct {
    const char* name;
    int link;
    Bytes frame;
  } cases[] = {
      {"ethernet", kLinkEthernet, eth(ip4)},
      {"802.1Q", kLinkEthernet, ethernet(0x0800, ip4, {100})},
      {"QinQ", kLinkEthernet, ethernet(0x0800, ip4, {200, 300})},
      {"sll", kLinkLinuxSll, sll(ip4)},
      {"sll2", kLinkLinuxSll2, sll2(ip4)},
      {"raw", kLinkRaw, ip4},
      {"raw (LINKTYPE 101)", kLinkRawLinktype, ip4},
      {"ipv4", kLinkIpv4, ip4},
      {"null little-endian", kLinkNull, null_le},
      {"null big-endian", kLinkNull, null_be},
      {"loop", kLinkLoop, loop},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Packet p;
    const auto r = decode(c.link, c.frame, p);
    ASSERT_EQ(r.status, DecodeStatus::kOk) << (r.problem ? r.problem : "");
    expect_tcp_to_80(p);
  }
}

TEST(Decoder, VlanIdsAndMacsAreKept) {
  Packet p;
  const Bytes f = ethernet(0x0800, ipv4(ip("10.0.0.1"), ip("10.0.0.2"), 6, kSeg), {200, 300});
  ASSERT_EQ(decode(kLinkEthernet, f, p).status, DecodeStatus::kOk);
  EXPECT_EQ(p.vlan_count, 2);
  EXPECT_EQ(p.vlan_outer, 200);
  EXPECT_EQ(p.vlan_inner, 300);
  EXPECT_EQ(p.src_mac, kClientMac);
  EXPECT_EQ(p.dst_mac, kServerMac);
}

TEST(Decoder, MplsAndPppoeReachTheIpPacket) {
  const Bytes ip4 = ipv4(ip("10.0.0.1"), ip("10.0.0.2"), 6, kSeg);
  Bytes mpls = {0x00, 0x01, 0x00, 0x40, 0x00, 0x02, 0x01, 0x40};  // two labels, bottom set
  append(mpls, ip4);
  Packet p;
  const Bytes mpls_frame = ethernet(0x8847, mpls);  // the packet views these bytes
  ASSERT_EQ(decode(kLinkEthernet, mpls_frame, p).status, DecodeStatus::kOk);
  expect_tcp_to_80(p);
  Bytes pppoe = {0x11, 0x00, 0x00, 0x01};
  put16(pppoe, static_cast<std::uint16_t>(ip4.size() + 2));
  put16(pppoe, 0x0021);
  append(pppoe, ip4);
  const Bytes pppoe_frame = ethernet(0x8864, pppoe);
  ASSERT_EQ(decode(kLinkEthernet, pppoe_frame, p).status, DecodeStatus::kOk);
  expect_tcp_to_80(p);
}

TEST(Decoder, Ipv6ExtensionHeadersAreWalked) {
  // Hop-by-hop (8 bytes) then destination options (8 bytes) then UDP.
  Bytes ext = {60, 0, 1, 4, 0, 0, 0, 0, 17, 0, 1, 4, 0, 0, 0, 0};
  append(ext, udp(5353, 53, "query"));
  Packet p;
  const Bytes frame = eth(ipv6(ip("2001:db8::1"), ip("2001:db8::2"), 0, ext));
  ASSERT_EQ(decode(kLinkEthernet, frame, p).status, DecodeStatus::kOk);
  EXPECT_EQ(p.ip_version, 6);
  EXPECT_EQ(p.ip_proto, kProtoUdp);
  EXPECT_EQ(p.src_port, 5353);
  EXPECT_EQ(p.dst_port, 53);
  EXPECT_EQ(as_chars(p.payload), "query");
}

TEST(Decoder, Ipv6AtomicFragmentIsAWholeDatagram) {
  const Bytes frag = ipv6_fragment(6, 0, false, 77, kSeg);
  Packet p;
  const Bytes frame = eth(ipv6(ip("2001:db8::1"), ip("2001:db8::2"), 44, frag));
  ASSERT_EQ(decode(kLinkEthernet, frame, p).status, DecodeStatus::kOk);
  EXPECT_FALSE(p.is_fragment);
  EXPECT_TRUE(p.has_l4);
  EXPECT_EQ(p.dst_port, 80);
}

TEST(Decoder, IcmpAndIcmpv6) {
  Packet p;
  ASSERT_EQ(
      decode(kLinkEthernet, eth(ipv4(ip("10.0.0.1"), ip("10.0.0.2"), 1, icmp(8, 0))), p).status,
      DecodeStatus::kOk);
  EXPECT_EQ(p.icmp_type, 8);
  ASSERT_EQ(decode(kLinkEthernet, eth(ipv6(ip("::1"), ip("::2"), 58, icmp(128, 0))), p).status,
            DecodeStatus::kOk);
  EXPECT_EQ(p.ip_proto, kProtoIcmpv6);
  EXPECT_EQ(p.icmp_type, 128);
}

TEST(Decoder, NonIpFramesAreNotErrors) {
  Packet p;
  const Bytes arp = ethernet(0x0806, Bytes(28, 0));
  EXPECT_EQ(decode(kLinkEthernet, arp, p).status, DecodeStatus::kNotIp);
  const Bytes llc = ethernet(0x0026, Bytes(38, 0));  // 802.3 length field
  EXPECT_EQ(decode(kLinkEthernet, llc, p).status, DecodeStatus::kNotIp);
}

TEST(Decoder, UnknownLinkTypeIsReported) {
  Packet p;
  const Bytes f(60, 0);
  EXPECT_EQ(decode(127 /* radiotap */, f, p).status, DecodeStatus::kUnsupportedLink);
}

TEST(Decoder, SnaplenCutKeepsWireLengthsAndFlags) {
  const Bytes full = eth(ipv4(ip("10.0.0.1"), ip("10.0.0.2"), 6, kSeg));
  const Bytes cut(full.begin(), full.begin() + 54);  // headers only, as tcpdump -s 54
  Packet p;
  ASSERT_EQ(decode(kLinkEthernet, cut, p, static_cast<std::uint32_t>(full.size())).status,
            DecodeStatus::kOk);
  EXPECT_TRUE(p.anomalies & kAnomalySnaplenCut);
  EXPECT_FALSE(p.anomalies & kAnomalyLyingLength);
  EXPECT_TRUE(p.payload.empty());
  EXPECT_EQ(p.payload_wire_len, 18u);
}

TEST(Decoder, LyingIpLengthIsClampedToTheFrameAndFlagged) {
  const Bytes f = eth(ipv4(ip("10.0.0.1"), ip("10.0.0.2"), 6, kSeg, 1, 0, false, 1500));
  Packet p;
  ASSERT_EQ(decode(kLinkEthernet, f, p).status, DecodeStatus::kOk);
  EXPECT_TRUE(p.anomalies & kAnomalyLyingLength);
  EXPECT_EQ(p.payload_wire_len, 18u);
}

TEST(Decoder, EthernetPaddingIsNotPayload) {
  Bytes f = eth(ipv4(ip("10.0.0.1"), ip("10.0.0.2"), 6, tcp(1, 2, 0, 0, kAck)));
  f.resize(60, 0);  // minimum Ethernet frame
  Packet p;
  ASSERT_EQ(decode(kLinkEthernet, f, p).status, DecodeStatus::kOk);
  EXPECT_EQ(p.payload.size(), 0u);
  EXPECT_EQ(p.payload_wire_len, 0u);
  EXPECT_TRUE(p.anomalies & kAnomalyTrailingBytes);
}

// Malformed input: a counted error kind, never a crash.
TEST(Decoder, MalformedHeadersAreNamed) {
  const Bytes ip4 = ipv4(ip("10.0.0.1"), ip("10.0.0.2"), 6, kSeg);
  Bytes bad_ihl = ip4;
  bad_ihl[0] = 0x44;
  Bytes bad_doff = ip4;
  bad_doff[20 + 12] = 0x20;  // TCP data offset 8 bytes
  Bytes short_tcp(ip4.begin(), ip4.begin() + 30);
  short_tcp[3] = 30;
  const struct {
    Bytes frame;
    std::string kind;
  } cases[] = {
      {Bytes(10, 0), "ethernet.truncated"},
      {ethernet(0x0800, Bytes(12, 0x45)), "ipv4.truncated_header"},
      {ethernet(0x0800, bad_ihl), "ipv4.bad_header_length"},
      {ethernet(0x0800, bad_doff), "tcp.bad_data_offset"},
      {ethernet(0x0800, short_tcp), "tcp.truncated_header"},
      {ethernet(0x86dd, Bytes(30, 0x60)), "ipv6.truncated_header"},
      {ethernet(0x8100, Bytes(2, 0)), "vlan.truncated"},
  };
  for (const auto& c : cases) {
    Packet p;
    const auto r = decode(kLinkEthernet, c.frame, p);
    EXPECT_EQ(r.status, DecodeStatus::kMalformed) << c.kind;
    EXPECT_EQ(std::string(r.problem ? r.problem : ""), c.kind);
  }
}

TEST(Decoder, FragmentsAreMarkedAndNotDecodedPastIp) {
  const Bytes f = eth(ipv4(ip("10.0.0.1"), ip("10.0.0.2"), 17, Bytes(16, 'x'), 9, 8, true));
  Packet p;
  ASSERT_EQ(decode(kLinkEthernet, f, p).status, DecodeStatus::kOk);
  EXPECT_TRUE(p.is_fragment);
  EXPECT_FALSE(p.has_l4);
  EXPECT_EQ(p.frag_offset, 8u);
  EXPECT_EQ(p.frag_id, 9u);
  EXPECT_TRUE(p.frag_more);
}

}  // namespace
}  // namespace kagami::packet
