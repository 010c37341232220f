#pragma once

#include <cstdint>

#include "kagami/base/byte_view.h"
#include "kagami/base/ip_address.h"
#include "kagami/base/time.h"

namespace kagami::packet {

enum IpProto : std::uint8_t {
  kProtoIcmp = 1,
  kProtoTcp = 6,
  kProtoUdp = 17,
  kProtoIcmpv6 = 58,
};

enum TcpFlag : std::uint8_t {
  kTcpFin = 0x01,
  kTcpSyn = 0x02,
  kTcpRst = 0x04,
  kTcpPsh = 0x08,
  kTcpAck = 0x10,
  kTcpUrg = 0x20,
};

// What the decoder found wrong or unusual, as bits so one packet can carry several.
enum PacketAnomaly : std::uint16_t {
  kAnomalySnaplenCut = 1 << 0,     // captured fewer bytes than were on the wire
  kAnomalyLyingLength = 1 << 1,    // a length field claims more than the frame holds
  kAnomalyTrailingBytes = 1 << 2,  // frame longer than the IP packet (padding is normal)
  kAnomalyTsoLength = 1 << 3,  // IPv4 total length 0: segmentation offload, length taken from frame
  kAnomalyTooManyVlans = 1 << 4,
};

// One decoded frame: views into the captured bytes plus the header fields Kagami uses.
// Plain data, filled by Decoder::decode; valid while the frame's bytes are.
struct Packet {
  TimeNs ts = 0;
  ByteView frame;              // captured bytes from the link header on
  std::uint32_t wire_len = 0;  // length on the wire (>= frame.size())

  // Link layer.
  std::uint64_t src_mac = 0, dst_mac = 0;  // 48-bit, 0 when the link has none
  std::uint16_t vlan_outer = 0, vlan_inner = 0;
  std::uint8_t vlan_count = 0;

  // Network layer. ip_version 0 means "not IP".
  std::uint8_t ip_version = 0;
  IpAddress src_ip, dst_ip;
  std::uint32_t ip_offset = 0;    // where the IP header starts in frame
  std::uint8_t ip_proto = 0;      // transport protocol after IPv6 extension headers
  std::uint32_t l4_offset = 0;    // where the transport header starts in frame
  std::uint32_t l4_wire_len = 0;  // transport header + payload, per the IP length fields

  // Fragments carry no transport header except the first; the defragmenter rebuilds them.
  bool is_fragment = false;
  std::uint32_t frag_id = 0;
  std::uint32_t frag_offset = 0;  // bytes
  bool frag_more = false;
  std::uint32_t v6_frag_header = 0;    // offset of the IPv6 fragment header
  std::uint32_t v6_frag_nh_field = 0;  // offset of the next-header byte that names it

  // Transport layer (valid when has_l4).
  bool has_l4 = false;
  std::uint16_t src_port = 0, dst_port = 0;
  std::uint32_t tcp_seq = 0, tcp_ack = 0;
  std::uint8_t tcp_flags = 0;
  std::uint16_t tcp_window = 0;
  std::uint8_t icmp_type = 0, icmp_code = 0;

  ByteView payload;                    // captured payload bytes
  std::uint32_t payload_wire_len = 0;  // payload length per headers (bytes on the wire)

  std::uint16_t anomalies = 0;
};

}  // namespace kagami::packet
