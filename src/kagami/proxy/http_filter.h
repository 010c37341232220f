#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "kagami/base/byte_view.h"
#include "kagami/base/result.h"

namespace kagami::proxy {

struct HttpFilterOptions {
  // Responses: HTTP/3 advertisements (Alt-Svc fields, HTTP/2 ALTSVC frames) removed, so that
  // browsers stay on TCP, where the proxy sees their traffic.
  bool strip_alt_svc = false;
  // Requests: Proxy-Authorization removed from requests addressed to the origin (not from a
  // CONNECT or an absolute-form request, which address a proxy further on). An explicit
  // proxy that decrypts a tunnel is the hop the client's login is for (RFC 9110 11.7.2).
  bool consume_proxy_login = false;
  // HTTP/1: nothing after the first request reaches the server (an absolute-form request's
  // connection, which the proxy asked to close; the next request may name another server).
  bool one_request = false;
};

// Edits an HTTP connection between a client and a server, as the options ask. Everything
// else passes byte for byte; when the traffic turns out not to be what the filter reads, it
// steps aside and passes the rest unchanged.
class HttpFilter {
 public:
  virtual ~HttpFilter() = default;
  // What the client sent; appends what the server is to get to `out`. An error ends the
  // connection (the client broke the protocol or a bound).
  virtual Status from_client(ByteView bytes, std::vector<std::uint8_t>& out) = 0;
  // What the server sent; appends what the client is to get to `out`. An error ends the
  // connection (the server broke the protocol or a bound).
  virtual Status from_server(ByteView bytes, std::vector<std::uint8_t>& out) = 0;
  // The server finished: whatever is held goes out as it came.
  virtual void server_ended(std::vector<std::uint8_t>& out) = 0;

  std::uint64_t alt_svc_stripped() const { return alt_svc_stripped_; }
  std::uint64_t logins_consumed() const { return logins_consumed_; }
  std::uint64_t requests_dropped() const { return requests_dropped_; }

 protected:
  std::uint64_t alt_svc_stripped_ = 0;
  std::uint64_t logins_consumed_ = 0;
  std::uint64_t requests_dropped_ = 0;  // connections whose bytes after a request were dropped
};

// HTTP/1: heads are edited, bodies pass as they come. Reads both directions (a HEAD
// request's response has no body) and steps aside for anything that is not HTTP/1 or after
// an Upgrade.
std::unique_ptr<HttpFilter> make_http1_filter(const HttpFilterOptions& options);
// HTTP/2 (ALPN h2): a direction with something to edit has every header block decoded and
// encoded again with nghttp2's HPACK (the peer's decoder follows the proxy's encoder from
// then on). DATA and every other frame pass unchanged, so flow control stays end to end.
std::unique_ptr<HttpFilter> make_http2_filter(const HttpFilterOptions& options);

}  // namespace kagami::proxy
