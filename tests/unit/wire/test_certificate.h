#pragma once

// Makes a real certificate with OpenSSL, so certificate tests check fields against what was
// put in rather than against a stored blob.
#include <cstdint>
#include <string>
#include <vector>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace kagami::testing {

struct CertSpec {
  std::string cn = "www.example.jp";
  std::string org = "Example";
  std::string issuer_cn = "Example CA";
  std::string san = "DNS:www.example.jp,DNS:example.jp,IP:192.0.2.7";
  long serial = 0x1234;
  std::int64_t not_before = 1700000000, not_after = 1731536000;  // epoch seconds
};

inline std::vector<std::uint8_t> make_certificate(const CertSpec& spec) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), spec.serial);
  ASN1_TIME_set(X509_getm_notBefore(x), static_cast<time_t>(spec.not_before));
  ASN1_TIME_set(X509_getm_notAfter(x), static_cast<time_t>(spec.not_after));
  X509_NAME* subject = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(spec.org.c_str()), -1, -1, 0);
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(spec.cn.c_str()), -1, -1, 0);
  X509_NAME* issuer = X509_get_issuer_name(x);
  X509_NAME_add_entry_by_txt(issuer, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(spec.issuer_cn.c_str()), -1, -1,
                             0);
  X509_set_pubkey(x, key);
  if (!spec.san.empty()) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
    X509_EXTENSION* ext =
        X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, spec.san.c_str());
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(x, key, EVP_sha256());
  unsigned char* der = nullptr;
  const int n = i2d_X509(x, &der);
  std::vector<std::uint8_t> out(der, der + n);
  OPENSSL_free(der);
  X509_free(x);
  EVP_PKEY_free(key);
  return out;
}

}  // namespace kagami::testing
