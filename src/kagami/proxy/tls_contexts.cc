#include "kagami/proxy/tls_contexts.h"

#include <cerrno>
#include <cstring>

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include "kagami/base/tls_server_context.h"

namespace kagami::proxy {
namespace {

// SSL ex_data slots (process-wide by OpenSSL's design), allocated once.
int asked_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}
int alpn_choice_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}
int keylog_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

void keylog_line(const SSL* ssl, const char* line) {
  auto* log = static_cast<KeyLog*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), keylog_index()));
  if (log != nullptr) log->line(line);
}

void attach_keylog(SSL_CTX* ctx, KeyLog* log) {
  if (log == nullptr) return;
  SSL_CTX_set_ex_data(ctx, keylog_index(), log);
  SSL_CTX_set_keylog_callback(ctx, keylog_line);
}

int client_cert_requested(SSL* ssl, X509**, EVP_PKEY**) {
  SSL_set_ex_data(ssl, asked_index(), reinterpret_cast<void*>(1));
  return 0;  // no certificate to give
}

int select_alpn(SSL* ssl, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned int inlen, void*) {
  // The server's choice, learned before this handshake began (answer_alpn_with). A leg
  // without one is answered with HTTP/1.1 when the client offers it.
  const auto* choice = static_cast<const std::string*>(SSL_get_ex_data(ssl, alpn_choice_index()));
  if (choice != nullptr && choice->empty()) return SSL_TLSEXT_ERR_NOACK;  // as the server did
  unsigned char wanted[256] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned wanted_len = 9;
  if (choice != nullptr) {
    if (choice->size() > 255) return SSL_TLSEXT_ERR_NOACK;
    wanted[0] = static_cast<unsigned char>(choice->size());
    std::memcpy(wanted + 1, choice->data(), choice->size());
    wanted_len = static_cast<unsigned>(choice->size() + 1);
  }
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, wanted, wanted_len, in, inlen) ==
      OPENSSL_NPN_NEGOTIATED) {
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

bool weak_digest(int sig_nid) {
  int md = NID_undef, pk = NID_undef;
  if (!OBJ_find_sigid_algs(sig_nid, &md, &pk)) return false;
  return md == NID_sha1 || md == NID_md5 || md == NID_md4 || md == NID_md2;
}

std::string ocsp_verdict(SSL* ssl, STACK_OF(X509) * chain) {
  const unsigned char* p = nullptr;
  const long len = SSL_get_tlsext_status_ocsp_resp(ssl, &p);
  if (len <= 0 || p == nullptr) return {};
  OCSP_RESPONSE* resp = d2i_OCSP_RESPONSE(nullptr, &p, len);
  if (resp == nullptr) return "the stapled OCSP response is malformed";
  std::string verdict;
  OCSP_BASICRESP* basic = nullptr;
  if (OCSP_response_status(resp) == OCSP_RESPONSE_STATUS_SUCCESSFUL &&
      (basic = OCSP_response_get1_basic(resp)) != nullptr && sk_X509_num(chain) >= 2) {
    X509* leaf = sk_X509_value(chain, 0);
    X509* issuer = sk_X509_value(chain, 1);
    OCSP_CERTID* id = OCSP_cert_to_id(nullptr, leaf, issuer);
    int status = -1, reason = 0;
    if (id != nullptr &&
        OCSP_resp_find_status(basic, id, &status, &reason, nullptr, nullptr, nullptr) == 1) {
      // Only a response signed for this issuer counts; a forged "revoked" is ignored like a
      // forged "good" would be.
      X509_STORE* store = SSL_CTX_get_cert_store(SSL_get_SSL_CTX(ssl));
      if (status == V_OCSP_CERTSTATUS_REVOKED && OCSP_basic_verify(basic, chain, store, 0) == 1)
        verdict = "the stapled OCSP response says the certificate is revoked";
    }
    OCSP_CERTID_free(id);
    OCSP_BASICRESP_free(basic);
  }
  OCSP_RESPONSE_free(resp);
  ERR_clear_error();
  return verdict;
}

}  // namespace

Result<std::unique_ptr<KeyLog>> KeyLog::open(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "a");
  if (f == nullptr) return make_error("cannot open the key log {}: {}", path, std::strerror(errno));
  return std::unique_ptr<KeyLog>(new KeyLog(f));
}

KeyLog::~KeyLog() { std::fclose(f_); }

void KeyLog::line(const char* text) {
  std::lock_guard lock(mutex_);
  std::fputs(text, f_);
  std::fputc('\n', f_);
  std::fflush(f_);  // a capture may be decrypted while the proxy runs
}

Result<SslCtxPtr> make_upstream_ctx(const UpstreamTlsOptions& o, KeyLog* keylog) {
  (void)asked_index();
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return make_error("cannot make a TLS context: {}", openssl_errors());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_security_level(ctx.get(), 2);
  if (SSL_CTX_set_cipher_list(ctx.get(), o.tls12_ciphers.c_str()) != 1)
    return make_error("no usable cipher in \"{}\"", o.tls12_ciphers);
  const bool loaded = o.ca_bundle.empty() ? SSL_CTX_set_default_verify_paths(ctx.get()) == 1
                                          : SSL_CTX_load_verify_locations(
                                                ctx.get(), o.ca_bundle.c_str(), nullptr) == 1;
  if (!loaded)
    return make_error("cannot load the upstream trust store {}: {}",
                      o.ca_bundle.empty() ? "(system)" : o.ca_bundle, openssl_errors());
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);  // judged after the handshake
  SSL_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_SERVER);
  SSL_CTX_set_client_cert_cb(ctx.get(), client_cert_requested);
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_RELEASE_BUFFERS);
  attach_keylog(ctx.get(), keylog);
  return ctx;
}

Result<SslCtxPtr> make_client_leg_ctx(KeyLog* keylog) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) return make_error("cannot make a TLS context: {}", openssl_errors());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  if (SSL_CTX_set_cipher_list(ctx.get(), kServerTls12Ciphers) != 1)
    return make_error("no usable cipher in \"{}\"", kServerTls12Ciphers);
  SSL_CTX_set_alpn_select_cb(ctx.get(), select_alpn, nullptr);
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_options(ctx.get(), SSL_OP_CIPHER_SERVER_PREFERENCE);
  attach_keylog(ctx.get(), keylog);
  return ctx;
}

bool expect_upstream_name(SSL* ssl, const std::string& host) {
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  const bool ip = host.find(':') != std::string::npos ||
                  host.find_first_not_of("0123456789.") == std::string::npos;
  if (ip) return X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1;
  return SSL_set1_host(ssl, host.c_str()) == 1;
}

void answer_alpn_with(SSL* client_leg, const std::string* choice) {
  SSL_set_ex_data(client_leg, alpn_choice_index(), const_cast<std::string*>(choice));
}

bool offer_alpn(SSL* upstream_leg, const std::vector<std::string>& protocols) {
  std::vector<unsigned char> wire;
  for (const std::string& p : protocols) {
    if (p.empty() || p.size() > 255 || wire.size() + 1 + p.size() > 65535) continue;
    wire.push_back(static_cast<unsigned char>(p.size()));
    wire.insert(wire.end(), p.begin(), p.end());
  }
  if (wire.empty()) return false;
  // 0 is success here, unlike OpenSSL's other calls.
  return SSL_set_alpn_protos(upstream_leg, wire.data(), static_cast<unsigned>(wire.size())) == 0;
}

bool upstream_asked_client_cert(SSL* ssl) { return SSL_get_ex_data(ssl, asked_index()) != nullptr; }

std::string upstream_verdict(SSL* ssl, X509* own_ca) {
  const long result = SSL_get_verify_result(ssl);
  if (SSL_get0_peer_certificate(ssl) == nullptr) return "the server sent no certificate";
  if (result != X509_V_OK) return X509_verify_cert_error_string(result);
  STACK_OF(X509)* chain = SSL_get0_verified_chain(ssl);
  const int n = chain != nullptr ? sk_X509_num(chain) : 0;
  for (int i = 0; i < n; ++i) {
    X509* c = sk_X509_value(chain, i);
    if (own_ca != nullptr && X509_cmp(c, own_ca) == 0)
      return "the chain leads to Kagami's own CA (the proxy would be trusting itself)";
    const bool root = i == n - 1;  // a trust anchor's own signature is not relied on
    if (!root && weak_digest(X509_get_signature_nid(c)))
      return "a certificate in the chain is signed with SHA-1 or MD5";
    EVP_PKEY* key = X509_get0_pubkey(c);
    if (key != nullptr && EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA &&
        EVP_PKEY_get_bits(key) < 2048)
      return "an RSA key in the chain is shorter than 2048 bits";
  }
  return ocsp_verdict(ssl, chain);
}

}  // namespace kagami::proxy
