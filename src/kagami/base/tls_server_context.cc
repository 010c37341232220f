#include "kagami/base/tls_server_context.h"

#include <openssl/ssl.h>

#include "kagami/base/openssl_errors.h"

namespace kagami {

void TlsContextFree::operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }

Result<TlsContext> make_tls_server_context(const std::string& cert_chain, const std::string& key,
                                           const std::string& client_ca) {
  TlsContext ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) return make_error("TLS: {}", openssl_errors());
  SSL_CTX* c = ctx.get();
  SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
  if (SSL_CTX_set_cipher_list(c, kServerTls12Ciphers) != 1)
    return make_error("TLS: no usable cipher in \"{}\"", kServerTls12Ciphers);
  SSL_CTX_set_options(c, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                          SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_use_certificate_chain_file(c, cert_chain.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(c, key.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(c) != 1)
    return make_error("TLS: cannot use the certificate {} and key {}: {}", cert_chain, key,
                      openssl_errors());
  if (!client_ca.empty()) {
    if (SSL_CTX_load_verify_locations(c, client_ca.c_str(), nullptr) != 1)
      return make_error("TLS: cannot read the client CA {}: {}", client_ca, openssl_errors());
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  return ctx;
}

}  // namespace kagami
