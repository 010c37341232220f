#include "kagami/analyzers/tls/hellos.h"

#include "kagami/analyzers/tls/cipher_names.h"
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

std::uint16_t describe_server_hello(const wire::TlsServerHello& h, char transport,
                                    records::TlsRecord& out) {
  out.server_hello_seen = true;
  if (h.hello_retry_request) out.hello_retry = true;
  const std::uint16_t version = h.selected_version != 0 ? h.selected_version : h.version;
  out.version = wire::tls_version_name(version);
  out.cipher = tls_cipher_name(h.cipher);
  out.alpn_selected = h.alpn;
  out.ja3s_string = wire::ja3s_string(h);
  out.ja3s = wire::ja3_hash(out.ja3s_string);
  out.ja4s = wire::ja4s(h, transport);
  return version;
}

}  // namespace kagami::analyzers
