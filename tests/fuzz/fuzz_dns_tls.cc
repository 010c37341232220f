// The binary protocol parsers: DNS messages, TLS records and handshakes with their
// fingerprints, X.509 certificates (through OpenSSL).
#include <cstddef>
#include <cstdint>

#include "kagami/wire/dns_message.h"
#include "kagami/wire/tls_fingerprint.h"
#include "kagami/wire/tls_handshake.h"
#include "kagami/wire/x509_certificate.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kagami;
  const ByteView in(data, size);
  (void)wire::parse_dns(in);
  wire::TlsRecordHeader h;
  (void)wire::parse_tls_record_header(in, h);
  if (auto ch = wire::parse_client_hello(in); ch.ok()) {
    (void)wire::ja3_hash(wire::ja3_string(ch.value()));
    (void)wire::ja4(ch.value());
    (void)wire::ja4(ch.value(), 't', true);
  }
  if (auto sh = wire::parse_server_hello(in); sh.ok()) {
    (void)wire::ja3s_string(sh.value());
    (void)wire::ja4s(sh.value());
  }
  for (bool tls13 : {false, true})
    if (auto certs = wire::parse_certificate_list(in, tls13); certs.ok())
      for (ByteView der : certs.value()) (void)wire::parse_x509(der);
  (void)wire::parse_x509(in);
  return 0;
}
