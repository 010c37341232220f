#pragma once
// Builders for the frames unit tests feed the decoder, flow table and recorder. Each test
// builds its input where the reader can see it; these only spare the byte arithmetic.

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "kagami/base/byte_view.h"
#include "kagami/base/ip_address.h"

namespace kagami::test {

using Bytes = std::vector<std::uint8_t>;

inline void put16(Bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
inline void put32(Bytes& b, std::uint32_t v) {
  put16(b, static_cast<std::uint16_t>(v >> 16));
  put16(b, static_cast<std::uint16_t>(v));
}
inline void append(Bytes& b, ByteView v) { b.insert(b.end(), v.begin(), v.end()); }
inline void append(Bytes& b, std::string_view s) { append(b, as_bytes(s)); }

inline IpAddress ip(std::string_view text) { return IpAddress::parse(text).value(); }

constexpr std::uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;

inline Bytes tcp(std::uint16_t sport, std::uint16_t dport, std::uint32_t seq, std::uint32_t ack,
                 std::uint8_t flags, std::string_view payload = {}) {
  Bytes b;
  put16(b, sport);
  put16(b, dport);
  put32(b, seq);
  put32(b, ack);
  b.push_back(5 << 4);  // data offset: 20 bytes
  b.push_back(flags);
  put16(b, 65535);
  put16(b, 0);  // checksum: nothing in Kagami checks it
  put16(b, 0);
  append(b, payload);
  return b;
}

inline Bytes udp(std::uint16_t sport, std::uint16_t dport, std::string_view payload) {
  Bytes b;
  put16(b, sport);
  put16(b, dport);
  put16(b, static_cast<std::uint16_t>(8 + payload.size()));
  put16(b, 0);
  append(b, payload);
  return b;
}

inline Bytes icmp(std::uint8_t type, std::uint8_t code, std::string_view payload = "ping") {
  Bytes b = {type, code, 0, 0};
  append(b, payload);
  return b;
}

// IPv4 header + payload; `frag_offset` in bytes (multiple of 8).
inline Bytes ipv4(const IpAddress& src, const IpAddress& dst, std::uint8_t proto, ByteView payload,
                  std::uint16_t id = 1, std::uint32_t frag_offset = 0, bool more = false,
                  std::uint16_t total_override = 0) {
  Bytes b;
  b.push_back(0x45);
  b.push_back(0);
  put16(b, total_override ? total_override : static_cast<std::uint16_t>(20 + payload.size()));
  put16(b, id);
  put16(b, static_cast<std::uint16_t>((more ? 0x2000 : 0) | (frag_offset / 8)));
  b.push_back(64);
  b.push_back(proto);
  put16(b, 0);
  append(b, ByteView(src.bytes() + 12, 4));
  append(b, ByteView(dst.bytes() + 12, 4));
  append(b, payload);
  return b;
}

// IPv6 header + payload (which may start with extension headers named by `next_header`).
inline Bytes ipv6(const IpAddress& src, const IpAddress& dst, std::uint8_t next_header,
                  ByteView payload) {
  Bytes b = {0x60, 0, 0, 0};
  put16(b, static_cast<std::uint16_t>(payload.size()));
  b.push_back(next_header);
  b.push_back(64);
  append(b, ByteView(src.bytes(), 16));
  append(b, ByteView(dst.bytes(), 16));
  append(b, payload);
  return b;
}

// IPv6 fragment header (RFC 8200 4.5) followed by this fragment's data.
inline Bytes ipv6_fragment(std::uint8_t next_header, std::uint32_t offset, bool more,
                           std::uint32_t id, ByteView data) {
  Bytes b = {next_header, 0};
  put16(b, static_cast<std::uint16_t>(offset | (more ? 1 : 0)));
  put32(b, id);
  append(b, data);
  return b;
}

inline void put_mac(Bytes& b, std::uint64_t mac) {
  for (int i = 5; i >= 0; --i) b.push_back(static_cast<std::uint8_t>(mac >> (8 * i)));
}

constexpr std::uint64_t kClientMac = 0x020000000001, kServerMac = 0x020000000002;

inline Bytes ethernet(std::uint16_t ethertype, ByteView payload,
                      std::initializer_list<std::uint16_t> vlans = {},
                      std::uint64_t src = kClientMac, std::uint64_t dst = kServerMac) {
  Bytes b;
  put_mac(b, dst);
  put_mac(b, src);
  bool outer = true;
  for (std::uint16_t v : vlans) {
    put16(b, outer && vlans.size() > 1 ? 0x88a8 : 0x8100);
    put16(b, v);
    outer = false;
  }
  put16(b, ethertype);
  append(b, payload);
  return b;
}

inline std::uint16_t ethertype_of(ByteView ip_packet) {
  return (ip_packet[0] >> 4) == 6 ? 0x86dd : 0x0800;
}

inline Bytes eth(ByteView ip_packet, std::uint64_t src = kClientMac,
                 std::uint64_t dst = kServerMac) {
  return ethernet(ethertype_of(ip_packet), ip_packet, {}, src, dst);
}

// Linux cooked capture v1 (16-byte header) around an IP packet.
inline Bytes sll(ByteView ip_packet, std::uint64_t src_mac = kClientMac) {
  Bytes b;
  put16(b, 0);  // packet type: to us
  put16(b, 1);  // ARPHRD_ETHER
  put16(b, 6);
  put_mac(b, src_mac);
  put16(b, 0);
  put16(b, ethertype_of(ip_packet));
  append(b, ip_packet);
  return b;
}

// Linux cooked capture v2 (20-byte header).
inline Bytes sll2(ByteView ip_packet, std::uint64_t src_mac = kClientMac) {
  Bytes b;
  put16(b, ethertype_of(ip_packet));
  put16(b, 0);
  put32(b, 2);  // interface index
  put16(b, 1);  // ARPHRD_ETHER
  b.push_back(0);
  b.push_back(6);
  put_mac(b, src_mac);
  put16(b, 0);
  append(b, ip_packet);
  return b;
}

// Convenience: an Ethernet/IPv4/TCP frame.
inline Bytes tcp4(std::string_view src, std::uint16_t sport, std::string_view dst,
                  std::uint16_t dport, std::uint32_t seq, std::uint32_t ack, std::uint8_t flags,
                  std::string_view payload = {}) {
  const Bytes seg = tcp(sport, dport, seq, ack, flags, payload);
  return eth(ipv4(ip(src), ip(dst), 6, seg));
}

}  // namespace kagami::test
