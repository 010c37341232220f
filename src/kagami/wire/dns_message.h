#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kagami/base/byte_view.h"
#include "kagami/base/ip_address.h"
#include "kagami/base/result.h"

namespace kagami::wire {

struct DnsQuestion {
  std::string name;
  std::uint16_t type = 0, klass = 0;
};

struct DnsResource {
  std::string name;
  std::uint16_t type = 0, klass = 0;
  std::uint32_t ttl = 0;
  std::string data;          // rendered: an address, a name, "10 mx.example.com", text, ...
  bool has_address = false;  // A / AAAA
  IpAddress address;
};

struct DnsMessage {
  std::uint16_t id = 0;
  bool response = false;
  std::uint8_t opcode = 0;
  std::uint8_t rcode = 0;
  bool authoritative = false, truncated = false, recursion_desired = false,
       recursion_available = false;
  std::vector<DnsQuestion> questions;
  std::vector<DnsResource> answers, authority, additional;
};

struct DnsLimits {
  std::size_t max_records = 512;  // per section
  int max_pointer_jumps = 64;     // name compression; a loop stops here
};

// Parses one DNS message (RFC 1035, with RFC 3596 AAAA and the common newer types rendered).
// Untrusted input: every length is checked, compression loops are cut off.
Result<DnsMessage> parse_dns(ByteView message, const DnsLimits& limits = DnsLimits{});

std::string dns_type_name(std::uint16_t type);
std::string dns_rcode_name(std::uint8_t rcode);

}  // namespace kagami::wire
