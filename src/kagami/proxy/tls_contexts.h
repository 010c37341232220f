#pragma once

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "kagami/base/result.h"
#include "kagami/proxy/openssl_ptr.h"

namespace kagami::proxy {

struct UpstreamTlsOptions {
  std::string ca_bundle;  // PEM file of trusted roots; empty: the system trust store
  // TLS 1.2 suites: forward secrecy and AEAD only (no RSA key exchange, no CBC, no 3DES).
  std::string tls12_ciphers = "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20";
};

// NSS key log (SSLKEYLOGFILE format) shared by both legs, so Wireshark can decrypt raw
// captures of either side.
class KeyLog {
 public:
  static Result<std::unique_ptr<KeyLog>> open(const std::string& path);
  ~KeyLog();
  void line(const char* text);

 private:
  explicit KeyLog(std::FILE* f) : f_(f) {}
  std::mutex mutex_;
  std::FILE* f_;
};

// The context for connections to real servers: TLS 1.2 at least, OpenSSL security level 2
// (RSA and DH keys of 2048 bits or more, no SHA-1 or MD5 signatures), the trust store loaded.
// Certificates are verified during the handshake but the handshake is let through, so the
// proxy can judge the result (upstream_verdict) and still mint an untrusted look-alike.
Result<SslCtxPtr> make_upstream_ctx(const UpstreamTlsOptions& options, KeyLog* keylog);

// The context for the client leg: TLS 1.2 and 1.3, ALPN answered with what the server chose
// (answer_alpn_with), or http/1.1 when offered. Certificates are set per connection.
Result<SslCtxPtr> make_client_leg_ctx(KeyLog* keylog);

// Why a finished upstream handshake must not be shown to the client as valid, or "" when it
// may: the chain and host check, Kagami's own CA in the chain (a loop through ourselves),
// SHA-1/MD5 signatures below the root, RSA keys under 2048 bits, a stapled OCSP response
// that says revoked.
std::string upstream_verdict(SSL* ssl, X509* own_ca);

// Sets the name the server certificate must match (a DNS name or an IP address).
bool expect_upstream_name(SSL* ssl, const std::string& host);

// ALPN as mitmproxy and Envoy do it: the server leg offers exactly what the client offered
// (offer_alpn; false when nothing could be offered) and the client leg answers with the
// server's choice, or with none when the server chose none (answer_alpn_with; `choice` must
// outlive the client's handshake). Both legs then speak the same protocol, h2 or HTTP/1.1,
// and the bytes are relayed as they are.
bool offer_alpn(SSL* upstream_leg, const std::vector<std::string>& protocols);
void answer_alpn_with(SSL* client_leg, const std::string* choice);

// Whether the server asked for a client certificate during the handshake.
bool upstream_asked_client_cert(SSL* ssl);

}  // namespace kagami::proxy
