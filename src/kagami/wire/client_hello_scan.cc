#include "kagami/wire/client_hello_scan.h"

#include <vector>

namespace kagami::wire {

ClientHelloScan scan_client_hello(ByteView bytes, std::size_t max_hello_bytes) {
  using R = ClientHelloScan::Result;
  ClientHelloScan out;
  if (bytes.empty()) return out;
  // A TLS connection opens with a handshake record of major version 3 (RFC 8446 5.1).
  if (bytes[0] != static_cast<std::uint8_t>(TlsContent::kHandshake)) {
    out.result = R::kNotTls;
    return out;
  }
  if (bytes.size() >= 2 && bytes[1] != 3) {
    out.result = R::kNotTls;
    return out;
  }
  std::vector<std::uint8_t> message;  // the handshake bytes, records joined
  std::size_t at = 0;
  std::size_t want = 0;  // whole message size once its header is known
  while (true) {
    if (bytes.size() - at < kTlsRecordHeaderBytes) {
      out.need = at + kTlsRecordHeaderBytes;
      return out;
    }
    TlsRecordHeader h;
    if (!parse_tls_record_header(bytes.subspan(at), h) ||
        h.type != static_cast<std::uint8_t>(TlsContent::kHandshake) || h.length == 0) {
      if (at == 0 && !parse_tls_record_header(bytes, h)) {
        out.result = R::kNotTls;  // 0x16 0x03 followed by no record header: not TLS after all
        return out;
      }
      out.result = R::kMalformed;
      out.error = "the ClientHello's records are malformed";
      return out;
    }
    const std::size_t whole = kTlsRecordHeaderBytes + h.length;
    if (bytes.size() - at < whole) {
      out.need = at + whole;
      return out;
    }
    const ByteView payload = bytes.subspan(at + kTlsRecordHeaderBytes, h.length);
    message.insert(message.end(), payload.begin(), payload.end());
    at += whole;
    if (want == 0 && message.size() >= 4) {
      if (message[0] != static_cast<std::uint8_t>(TlsHandshakeType::kClientHello)) {
        out.result = R::kMalformed;
        out.error = "the first handshake message is not a ClientHello";
        return out;
      }
      want = 4 + ((std::size_t{message[1]} << 16) | (std::size_t{message[2]} << 8) | message[3]);
      if (want > max_hello_bytes) {
        out.result = R::kMalformed;
        out.error = "the ClientHello exceeds its bound";
        return out;
      }
    }
    if (want != 0 && message.size() >= want) break;
  }
  auto parsed = parse_client_hello(ByteView(message.data() + 4, want - 4));
  if (!parsed) {
    out.result = R::kMalformed;
    out.error = parsed.error().message;
    return out;
  }
  out.result = R::kHello;
  out.hello = std::move(parsed.value());
  out.body.assign(message.begin() + 4, message.begin() + static_cast<std::ptrdiff_t>(want));
  out.need = 0;
  return out;
}

}  // namespace kagami::wire
