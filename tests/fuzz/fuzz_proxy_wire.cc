// What the proxy parses from untrusted clients before anything else: the CONNECT or
// absolute-form request head (and the head it rewrites for the origin), and the first
// flight of a TLS client (ClientHello across records).
#include <cstddef>
#include <cstdint>

#include "kagami/wire/client_hello_scan.h"
#include "kagami/wire/proxy_request.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kagami;
  const ByteView in(data, size);
  wire::HttpLimits limits;
  limits.max_head_bytes = 4096;
  const auto req = wire::parse_proxy_request(in, limits);
  if (req.result == wire::ProxyRequestParse::Result::kRequest && !req.request.connect)
    (void)wire::origin_request_head(req.request);
  std::string host;
  std::uint16_t port = 0;
  (void)wire::split_authority(as_chars(in), 443, host, port);
  (void)wire::scan_client_hello(in, 16384);
  return 0;
}
