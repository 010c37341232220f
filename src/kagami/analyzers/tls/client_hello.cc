#include "kagami/analyzers/tls/client_hello.h"

#include "kagami/wire/tls_fingerprint.h"

namespace kagami::analyzers {

void describe_client_hello(const wire::TlsClientHello& h, char transport, records::TlsRecord& out) {
  out.client_hello_seen = true;
  out.sni = h.sni;
  out.alpn = h.alpn;
  out.client_versions.clear();
  for (const std::uint16_t v : h.supported_versions)
    if (!wire::tls_grease(v)) out.client_versions.push_back(wire::tls_version_name(v));
  if (out.client_versions.empty()) out.client_versions.push_back(wire::tls_version_name(h.version));
  out.ja3_string = wire::ja3_string(h);
  out.ja3 = wire::ja3_hash(out.ja3_string);
  out.ja4 = wire::ja4(h, transport);
}

}  // namespace kagami::analyzers
