#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kagami/base/time.h"
#include "kagami/records/endpoints.h"

namespace kagami::records {

enum HttpFlag : std::uint32_t {
  kHttpNoResponse = 1u << 0,   // the session ended before the response
  kHttpPartial = 1u << 1,      // a body was cut by a gap or the end of the session
  kHttpDecodeError = 1u << 2,  // Content-Encoding could not be undone; the raw body is kept
  kHttpBodyLimit = 1u << 3,    // a body exceeded a bound (decoded size or expansion ratio)
  kHttpConnect = 1u << 4,      // CONNECT: what follows is a tunnel
  kHttpUpgrade = 1u << 5,      // 101 Switching Protocols
  kHttpWebSocket = 1u << 6,
  kHttpMalformed = 1u << 7,    // the parser met something it could not read and stopped
  kHttpHeaderLimit = 1u << 8,  // a header block exceeded its bound
};

std::vector<std::string> http_flag_names(std::uint32_t flags);

// One HTTP/1.x transaction: a request and its response.
struct HttpRecord {
  std::uint64_t id = 0;
  std::uint64_t session_id = 0;
  Endpoints endpoints;
  TimeNs ts = 0;       // the request's first byte
  TimeNs resp_ts = 0;  // the response's first byte (0: none)
  std::string method, host, uri, version;
  int status = 0;
  std::string user_agent, referer;
  std::string req_content_type, resp_content_type;
  std::uint64_t req_bytes = 0, resp_bytes = 0;  // message bodies as sent (chunking removed)
  std::string user;                             // from Authorization / Proxy-Authorization: Basic
  std::vector<std::string> files;               // sha256 of every object it carried
  std::uint32_t flags = 0;
};

}  // namespace kagami::records
