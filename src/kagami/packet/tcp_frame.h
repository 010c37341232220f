#pragma once

#include <cstdint>
#include <vector>

#include "kagami/base/byte_view.h"
#include "kagami/base/ip_address.h"
#include "kagami/packet/packet.h"

namespace kagami::packet {

struct TcpEnd {
  IpAddress ip;
  std::uint16_t port = 0;
  std::uint64_t mac = 0;  // 48-bit
};

// Bytes of Ethernet + IP + TCP headers (no options) in front of the payload.
inline std::size_t tcp_frame_overhead(bool ipv4) { return 14 + (ipv4 ? 20 : 40) + 20; }

// Appends one Ethernet II frame carrying IPv4 (or IPv6 when either end is IPv6) and TCP with
// `payload`, IP and TCP checksums filled in, so Wireshark and every reassembler accept it.
// The payload must fit one IP packet (at most 65,495 bytes over IPv4).
void append_tcp_frame(std::vector<std::uint8_t>& out, const TcpEnd& src, const TcpEnd& dst,
                      std::uint32_t seq, std::uint32_t ack, std::uint8_t flags, ByteView payload,
                      std::uint16_t ip_id = 0, std::uint16_t window = 65535);

// RFC 1071 one's-complement sum, folded but not inverted; `sum` chains a previous part.
std::uint32_t internet_checksum_add(std::uint32_t sum, const std::uint8_t* p, std::size_t n);
std::uint16_t internet_checksum_finish(std::uint32_t sum);

}  // namespace kagami::packet
