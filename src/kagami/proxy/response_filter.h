#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "kagami/base/byte_view.h"
#include "kagami/base/result.h"

namespace kagami::proxy {

// Edits what a server sends its client inside a decrypted connection, as the configuration
// asks: today, it removes HTTP/3 advertisements (Alt-Svc fields and HTTP/2 ALTSVC frames) so
// that browsers stay on TCP, where the proxy sees their traffic. Everything else passes
// byte for byte; when the traffic turns out not to be what the filter reads, it steps aside
// and passes the rest unchanged.
class ResponseFilter {
 public:
  virtual ~ResponseFilter() = default;
  // What the client sent, before the server gets it (read only).
  virtual Status from_client(ByteView bytes) = 0;
  // What the server sent; appends what the client is to get to `out`. An error ends the
  // connection (the server broke the protocol or a bound).
  virtual Status from_server(ByteView bytes, std::vector<std::uint8_t>& out) = 0;
  // The server finished: whatever is held goes out as it came.
  virtual void server_ended(std::vector<std::uint8_t>& out) = 0;
  // Advertisements removed so far.
  std::uint64_t stripped() const { return stripped_; }

 protected:
  std::uint64_t stripped_ = 0;
};

// HTTP/1 responses: Alt-Svc header fields. Reads both directions (a HEAD request's response
// has no body) and steps aside for anything that is not HTTP/1 or after an Upgrade.
std::unique_ptr<ResponseFilter> make_http1_alt_svc_filter();
// HTTP/2 (ALPN h2): every server header block is decoded and encoded again with nghttp2's
// HPACK (the client's decoder follows the proxy's encoder from then on), Alt-Svc fields are
// left out, ALTSVC frames lose their h3 entries. DATA and every other frame pass unchanged,
// so flow control stays end to end.
std::unique_ptr<ResponseFilter> make_http2_alt_svc_filter();

}  // namespace kagami::proxy
