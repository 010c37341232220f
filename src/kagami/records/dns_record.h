#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kagami/base/time.h"
#include "kagami/records/endpoints.h"

namespace kagami::records {

// One DNS query and its response (either may be missing).
struct DnsRecord {
  std::uint64_t id = 0;
  std::uint64_t session_id = 0;
  Endpoints endpoints;
  TimeNs ts = 0;
  std::uint16_t txid = 0;
  std::string query;                 // the first question's name
  std::string qtype;                 // "A", "AAAA", ..., or "TYPE65"
  std::string rcode;                 // "NOERROR", "NXDOMAIN", ..., empty without a response
  std::vector<std::string> answers;  // "A 192.0.2.1", "CNAME example.net", ...
  std::vector<std::string>
      additional;  // authority and additional records: "ns1.example.net A 192.0.2.53"
  bool response_seen = false;
  bool truncated = false;  // TC bit
};

}  // namespace kagami::records
