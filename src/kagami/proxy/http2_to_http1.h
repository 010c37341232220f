#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kagami/base/byte_view.h"
#include "kagami/base/result.h"

namespace kagami::proxy {

// What one step of a bridge gives each leg.
struct BridgeOutput {
  std::vector<std::uint8_t> to_client, to_server;
  void clear() {
    to_client.clear();
    to_server.clear();
  }
};

// Speaks HTTP/2 with a client that offered nothing else (gRPC stacks, nghttp, h2-only
// libraries) and HTTP/1.1 with a server that does not speak HTTP/2: the case where passing
// frames through cannot work. The client's leg is an nghttp2 server session (framing, HPACK,
// flow control, the protocol's checks); its requests go to the server one at a time, as
// HTTP/1.1 has no streams, and the responses are read with the recorder's Http1Parser.
//
// What the client sees is HTTP/2 throughout, so the mirror and the recorder get the client's
// leg as it was. Streams wait for their turn (their windows bound what they may send
// meanwhile); a server that closes its connection ends the client's with GOAWAY, and the
// streams it never saw are refused (REFUSED_STREAM), which clients retry on a new connection.
class Http2ToHttp1 {
 public:
  struct Options {
    bool strip_alt_svc = true;               // drop Alt-Svc h3 advertisements
    std::size_t max_head_bytes = 64u << 10;  // one request's header list, one response head
    std::string default_authority;           // Host when the client names none
    bool consume_proxy_login = false;        // drop proxy-authorization (it is for the proxy)
  };
  static std::unique_ptr<Http2ToHttp1> make(const Options& options);
  virtual ~Http2ToHttp1() = default;

  // What the client sent. An error ends the connection (nghttp2 has queued a GOAWAY, which
  // is in out.to_client).
  virtual Status from_client(ByteView bytes, BridgeOutput& out) = 0;
  // What the server sent. Its errors end the current response (502 or a reset stream), not
  // the client's connection: they never fail.
  virtual void from_server(ByteView bytes, BridgeOutput& out) = 0;
  // The server closed its side: a body delimited by the close ends here; any other cut
  // response is reset, and waiting streams are refused.
  virtual void server_ended(BridgeOutput& out) = 0;

  // No request will go to the server again and none is on it: its leg can close.
  virtual bool server_done() const = 0;
  // Nothing more to say to either side (both sent GOAWAY, or the client's streams ended
  // after the server left): the connection is over.
  virtual bool finished() const = 0;
  // Response bytes waiting for the client's flow-control window: the server is not read
  // while these pass the relay's high-water mark.
  virtual std::size_t held_for_client() const = 0;
  // Why the server's HTTP/1 went wrong, if it did (for the log); cleared when read.
  virtual std::string take_server_error() = 0;
  std::uint64_t requests() const { return requests_; }
  std::uint64_t stripped() const { return stripped_; }
  std::uint64_t logins_consumed() const { return logins_consumed_; }

 protected:
  std::uint64_t requests_ = 0;         // sent to the server
  std::uint64_t stripped_ = 0;         // Alt-Svc h3 advertisements removed
  std::uint64_t logins_consumed_ = 0;  // proxy-authorization kept from the server
};

}  // namespace kagami::proxy
