#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kagami/base/ip_address.h"
#include "kagami/base/time.h"

namespace kagami::store {

// Filters of `kagami sessions` and `kagami export`; every one is optional and they AND.
struct SessionQuery {
  std::optional<TimeNs> since;       // sessions still active at or after this time
  std::optional<TimeNs> until;       // sessions that started at or before this time
  std::vector<IpPrefix> ips;         // client or server address in any of these
  std::vector<std::uint16_t> ports;  // client or server port, any of these
  std::optional<int> transport;      // IP protocol number
  std::optional<std::string> app;    // application protocol name (any layer)
  std::optional<std::string> host;   // host name, '*' wildcards, case-insensitive
  std::vector<std::uint64_t> ids;
  std::uint64_t limit = 0;  // 0: no limit
  bool newest_first = false;
};

// Filters of the record listings (`kagami http`, `dns`, `tls`, `mail`, `files`).
struct RecordQuery {
  std::optional<TimeNs> since, until;  // the record's own time
  std::vector<IpPrefix> ips;
  std::vector<std::uint16_t> ports;
  std::optional<std::string> host;  // HTTP Host, TLS SNI, DNS query name; '*' wildcards
  std::vector<std::uint64_t> session_ids;
  std::vector<std::uint64_t> ids;       // the records' own ids (TLS: its session id)
  std::optional<std::string> sha256;    // files
  std::optional<std::string> name;      // files: name, '*' wildcards
  std::optional<std::string> detector;  // findings: detector, '*' wildcards ("yara:*")
  std::optional<int> min_severity;      // findings, alerts: 0 info, 1 low ... 4 critical
  std::uint64_t limit = 0;
  bool newest_first = false;
};

}  // namespace kagami::store
