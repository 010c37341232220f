// What the proxy's response filters (Alt-Svc removal) read from clients and servers of
// decrypted connections: HTTP/1 messages both ways, HTTP/2 frames and HPACK blocks. The input
// is cut into alternating client and server pieces, as a relay would hand them over.
#include <cstddef>
#include <cstdint>

#include "kagami/proxy/response_filter.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kagami;
  if (size < 1) return 0;
  const bool h2 = data[0] & 1;
  auto filter = h2 ? proxy::make_http2_alt_svc_filter() : proxy::make_http1_alt_svc_filter();
  std::vector<std::uint8_t> out;
  std::size_t off = 1;
  bool from_client = true;
  while (off < size) {
    // Each piece: one length byte, then that many bytes.
    const std::size_t n = std::min<std::size_t>(data[off], size - off - 1);
    const ByteView piece(data + off + 1, n);
    off += 1 + n;
    if (from_client) {
      if (!filter->from_client(piece)) return 0;
    } else if (!filter->from_server(piece, out)) {
      return 0;
    }
    from_client = !from_client;
  }
  filter->server_ended(out);
  return 0;
}
