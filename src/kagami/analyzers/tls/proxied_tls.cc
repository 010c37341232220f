#include "kagami/analyzers/tls/proxied_tls.h"

#include "kagami/analyzers/tls/hellos.h"
#include "kagami/analyzers/tls/server_certificate.h"

namespace kagami::analyzers {

void add_proxy_view(const records::ProxiedConnection& note, std::uint64_t session_id,
                    records::SessionRecord& session, records::RecordVectors& records) {
  auto& tls_records = std::get<std::vector<records::TlsRecord>>(records);
  records::TlsRecord* tls = nullptr;
  for (auto& t : tls_records)
    if (t.session_id == session_id) tls = &t;
  if (tls == nullptr) {
    if (!note.decrypted && note.sni.empty() && note.failure.empty()) return;  // not TLS
    records::TlsRecord t;
    t.session_id = session_id;
    t.endpoints.client_ip = session.client_ip;
    t.endpoints.client_port = session.client_port;
    t.endpoints.server_ip = session.server_ip;
    t.endpoints.server_port = session.server_port;
    t.ts = session.ts_first;
    t.sni = note.sni;
    if (!note.alpn.empty()) t.alpn_selected = note.alpn;
    t.version = note.client_version;
    t.cipher = note.client_cipher;
    t.client_hello_seen = t.server_hello_seen = true;
    if (!note.upstream_cert_der.empty())
      describe_server_certificate(
          ByteView(note.upstream_cert_der.data(), note.upstream_cert_der.size()),
          note.upstream_cert_count, t);
    tls_records.push_back(std::move(t));
    tls = &tls_records.back();
  }
  // What the client offered, which the proxy's own ClientHello to the server does not show:
  // the mirror of a decrypted session carries no handshake.
  if (!note.client_hello.empty() && tls->ja3.empty()) {
    auto hello =
        wire::parse_client_hello(ByteView(note.client_hello.data(), note.client_hello.size()));
    if (hello) describe_client_hello(hello.value(), 't', *tls);
  }
  tls->decrypted = note.decrypted;
  tls->upstream_version = note.upstream_version;
  tls->upstream_cipher = note.upstream_cipher;
  tls->upstream_verdict = note.upstream_verdict;
  tls->policy = note.policy;
  if (!note.failure.empty()) tls->alert = note.failure;
  if (note.decrypted && (session.app.empty() || session.app.find("tls") == std::string::npos))
    session.app = session.app.empty() ? "tls" : session.app + ",tls";
}

}  // namespace kagami::analyzers
