#pragma once

#include <cstdint>
#include <string>

#include "kagami/base/byte_view.h"
#include "kagami/wire/http1_parser.h"

namespace kagami::wire {

// The request a client sends an explicit HTTP proxy (RFC 9110 9.3.6, RFC 9112 3.2.2): a
// CONNECT to host:port, or a request with an absolute http:// URI.
struct ProxyRequest {
  HttpHead head;
  bool connect = false;
  std::string host;  // without brackets for IPv6
  std::uint16_t port = 0;
  std::string origin_target;  // absolute form: the path and query to send the origin
  bool has_proxy_auth = false;
  std::string proxy_user, proxy_password;  // Proxy-Authorization: Basic
};

struct ProxyRequestParse {
  enum class Result { kNeedMore, kRequest, kError };
  Result result = Result::kNeedMore;
  ProxyRequest request;
  std::string error;  // why the bytes are not a proxy request, for the 400 and the log
};

// Parses the head at the front of `bytes` (its body, if any, stays behind `request.head.bytes`).
// Heads over `limits.max_head_bytes` are errors.
ProxyRequestParse parse_proxy_request(ByteView bytes, const HttpLimits& limits);

// "host:port" of CONNECT, or the authority of an absolute URI; IPv6 in brackets.
bool split_authority(std::string_view authority, std::uint16_t default_port, std::string& host,
                     std::uint16_t& port);

// The head to send the origin for an absolute-form request: origin-form target, the
// hop-by-hop and proxy fields dropped (RFC 9110 7.6.1), Host kept, and "Connection: close"
// so that each client connection carries one request to one origin.
std::string origin_request_head(const ProxyRequest& request);

}  // namespace kagami::wire
