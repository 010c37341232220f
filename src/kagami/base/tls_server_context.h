#pragma once

#include <memory>
#include <string>

#include "kagami/base/result.h"

typedef struct ssl_ctx_st SSL_CTX;

namespace kagami {

// The TLS 1.2 suites Kagami offers wherever it is the server (the console, the proxy's leg to
// its clients, the mirror's pcap-over-IP stream): forward secrecy and AEAD only — no CBC (the
// Lucky 13 and padding-oracle family), no RSA key exchange, no 3DES or RC4. Every TLS 1.3 suite
// is AEAD already. Clients from before ECDHE with GCM (about 2013) cannot connect.
inline constexpr const char* kServerTls12Ciphers = "ECDHE+AESGCM:ECDHE+CHACHA20";

struct TlsContextFree {
  void operator()(SSL_CTX* ctx) const;
};
using TlsContext = std::unique_ptr<SSL_CTX, TlsContextFree>;

// A server context as Kagami serves TLS: 1.2 and 1.3, kServerTls12Ciphers in the server's
// order, no renegotiation, partial writes on non-blocking sockets (the buffer may move between
// tries), the certificate chain and key from PEM files. With `client_ca`, a client must show a
// certificate that CA signed.
Result<TlsContext> make_tls_server_context(const std::string& cert_chain, const std::string& key,
                                           const std::string& client_ca = "");

}  // namespace kagami
