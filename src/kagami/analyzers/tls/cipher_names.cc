#include "kagami/analyzers/tls/cipher_names.h"

#include <memory>

#include <fmt/core.h>
#include <openssl/ssl.h>

namespace kagami::analyzers {
namespace {

// SSL_CIPHER_find needs an SSL object only to reach the method's table; one is made on first
// use and never changed, so lookups from every worker are read-only.
class CipherTable {
 public:
  CipherTable() : ctx_(SSL_CTX_new(TLS_method()), SSL_CTX_free), ssl_(nullptr, SSL_free) {
    if (ctx_) ssl_.reset(SSL_new(ctx_.get()));
  }
  const SSL_CIPHER* find(std::uint16_t suite) const {
    if (!ssl_) return nullptr;
    const unsigned char id[2] = {static_cast<unsigned char>(suite >> 8),
                                 static_cast<unsigned char>(suite)};
    return SSL_CIPHER_find(ssl_.get(), id);
  }

 private:
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx_;
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl_;
};

// Suites this OpenSSL build leaves out (RC4, DES, export and NULL ciphers) but that old clients
// and malware still negotiate: exactly the ones an investigator must recognize.
const char* legacy_name(std::uint16_t suite) {
  switch (suite) {
    case 0x0000:
      return "TLS_NULL_WITH_NULL_NULL";
    case 0x0001:
      return "TLS_RSA_WITH_NULL_MD5";
    case 0x0002:
      return "TLS_RSA_WITH_NULL_SHA";
    case 0x0003:
      return "TLS_RSA_EXPORT_WITH_RC4_40_MD5";
    case 0x0004:
      return "TLS_RSA_WITH_RC4_128_MD5";
    case 0x0005:
      return "TLS_RSA_WITH_RC4_128_SHA";
    case 0x0006:
      return "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5";
    case 0x0007:
      return "TLS_RSA_WITH_IDEA_CBC_SHA";
    case 0x0008:
      return "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA";
    case 0x0009:
      return "TLS_RSA_WITH_DES_CBC_SHA";
    case 0x000b:
      return "TLS_DH_DSS_EXPORT_WITH_DES40_CBC_SHA";
    case 0x000c:
      return "TLS_DH_DSS_WITH_DES_CBC_SHA";
    case 0x000e:
      return "TLS_DH_RSA_EXPORT_WITH_DES40_CBC_SHA";
    case 0x000f:
      return "TLS_DH_RSA_WITH_DES_CBC_SHA";
    case 0x0011:
      return "TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA";
    case 0x0012:
      return "TLS_DHE_DSS_WITH_DES_CBC_SHA";
    case 0x0014:
      return "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA";
    case 0x0015:
      return "TLS_DHE_RSA_WITH_DES_CBC_SHA";
    case 0x0017:
      return "TLS_DH_anon_EXPORT_WITH_RC4_40_MD5";
    case 0x0018:
      return "TLS_DH_anon_WITH_RC4_128_MD5";
    case 0x0019:
      return "TLS_DH_anon_EXPORT_WITH_DES40_CBC_SHA";
    case 0x001a:
      return "TLS_DH_anon_WITH_DES_CBC_SHA";
    case 0x008a:
      return "TLS_PSK_WITH_RC4_128_SHA";
    case 0x008e:
      return "TLS_DHE_PSK_WITH_RC4_128_SHA";
    case 0x0092:
      return "TLS_RSA_PSK_WITH_RC4_128_SHA";
    case 0xc002:
      return "TLS_ECDH_ECDSA_WITH_RC4_128_SHA";
    case 0xc007:
      return "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA";
    case 0xc00c:
      return "TLS_ECDH_RSA_WITH_RC4_128_SHA";
    case 0xc011:
      return "TLS_ECDHE_RSA_WITH_RC4_128_SHA";
    case 0xc016:
      return "TLS_ECDH_anon_WITH_RC4_128_SHA";
    case 0xc033:
      return "TLS_ECDHE_PSK_WITH_RC4_128_SHA";
    default:
      return nullptr;
  }
}

}  // namespace

std::string tls_cipher_name(std::uint16_t suite) {
  static const CipherTable table;
  if (const SSL_CIPHER* c = table.find(suite)) {
    if (const char* name = SSL_CIPHER_standard_name(c)) return name;
  }
  if (const char* name = legacy_name(suite)) return name;
  return fmt::format("0x{:04x}", suite);
}

}  // namespace kagami::analyzers
