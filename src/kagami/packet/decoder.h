#pragma once

#include <cstdint>

#include "kagami/base/byte_view.h"
#include "kagami/base/time.h"
#include "kagami/packet/packet.h"

namespace kagami::packet {

enum class DecodeStatus : std::uint8_t {
  kOk,     // IP packet decoded (transport too unless it is a non-first fragment)
  kNotIp,  // a valid frame that carries no IP (ARP, LLDP, STP, ...)
  kUnsupportedLink,
  kMalformed,  // a header is too short or inconsistent
};

struct DecodeResult {
  DecodeStatus status = DecodeStatus::kOk;
  const char* problem = nullptr;  // stable kind for counters and log-once, when not kOk
};

// Decodes link, IP and transport headers without copying. Untrusted bytes never throw.
// Supported links: Ethernet (802.1Q/802.1ad/QinQ VLAN, MPLS, PPPoE), Linux cooked v1/v2,
// raw IPv4/IPv6, BSD/OpenBSD loopback.
class Decoder {
 public:
  static DecodeResult decode(int link_type, TimeNs ts, ByteView frame, std::uint32_t wire_len,
                             Packet& out);

  // Decodes an IP packet that starts at frame[ip_offset] (used for rebuilt fragments, whose
  // link fields the caller keeps).
  static DecodeResult decode_ip(ByteView frame, std::uint32_t ip_offset, Packet& out);
};

}  // namespace kagami::packet
