// What the proxy reads from clients and servers of decrypted connections when it edits or
// translates them: HTTP/1 messages both ways and HTTP/2 frames and HPACK blocks (the HTTP
// filters), an HTTP/2 client and an HTTP/1.1 server (the bridge). The input is cut into
// alternating client and server pieces, as a relay would hand them over.
#include <cstddef>
#include <cstdint>

#include "kagami/proxy/http2_to_http1.h"
#include "kagami/proxy/http_filter.h"

namespace {

// Each piece: one length byte, then that many bytes; calls `take(from_client, piece)` until
// it returns false.
template <typename Take>
void pieces(const std::uint8_t* data, std::size_t size, Take take) {
  std::size_t off = 1;
  bool from_client = true;
  while (off < size) {
    const std::size_t n = std::min<std::size_t>(data[off], size - off - 1);
    const kagami::ByteView piece(data + off + 1, n);
    off += 1 + n;
    if (!take(from_client, piece)) return;
    from_client = !from_client;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kagami;
  if (size < 1) return 0;
  const int mode = (data[0] & 0x0f) % 3;
  if (mode == 2) {
    proxy::Http2ToHttp1::Options o;
    o.consume_proxy_login = (data[0] & 0x20) == 0;
    auto bridge = proxy::Http2ToHttp1::make(o);
    proxy::BridgeOutput out;
    pieces(data, size, [&](bool from_client, ByteView piece) {
      out.clear();
      if (from_client) return bridge->from_client(piece, out).ok();
      bridge->from_server(piece, out);
      return true;
    });
    bridge->server_ended(out);
    (void)bridge->finished();
    return 0;
  }
  // Every edit on (the options come from the first byte's upper bits).
  proxy::HttpFilterOptions o;
  o.strip_alt_svc = (data[0] & 0x10) == 0;
  o.consume_proxy_login = (data[0] & 0x20) == 0;
  o.one_request = (data[0] & 0x40) != 0;
  auto filter = mode == 1 ? proxy::make_http2_filter(o) : proxy::make_http1_filter(o);
  std::vector<std::uint8_t> out;
  pieces(data, size, [&](bool from_client, ByteView piece) {
    out.clear();
    if (from_client) return filter->from_client(piece, out).ok();
    return filter->from_server(piece, out).ok();
  });
  filter->server_ended(out);
  return 0;
}
