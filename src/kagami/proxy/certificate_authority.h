#pragma once

#include <memory>
#include <string>
#include <vector>

#include "kagami/base/result.h"
#include "kagami/base/time.h"
#include "kagami/proxy/openssl_ptr.h"

namespace kagami::proxy {

struct CaOptions {
  bool rsa = false;  // RSA 3072 instead of ECDSA P-256
  std::string name = "Kagami Inspection CA";
  int valid_days = 3650;
};

// The files of a CA directory made by `kagami ca init`: the organisation's CA, which clients
// trust, and a second CA nobody trusts, which signs the certificates shown for upstreams that
// failed verification so that the client's own warning appears.
struct CaFiles {
  static std::string cert(const std::string& dir) { return dir + "/ca.crt"; }
  static std::string key(const std::string& dir) { return dir + "/ca.key"; }
  static std::string untrusted_cert(const std::string& dir) { return dir + "/untrusted-ca.crt"; }
  static std::string untrusted_key(const std::string& dir) { return dir + "/untrusted-ca.key"; }
};

// Makes both CAs in `dir` (created if missing), keys written 0600. Refuses to overwrite an
// existing CA: clients trust it.
Status init_ca_dir(const std::string& dir, const CaOptions& options);

// A CA certificate and its private key.
class CertificateAuthority {
 public:
  // Generates a self-signed CA (in memory).
  static Result<std::unique_ptr<CertificateAuthority>> generate(const CaOptions& options);
  // Reads PEM files; the key must match the certificate, which must be a CA.
  static Result<std::unique_ptr<CertificateAuthority>> load(const std::string& cert_path,
                                                            const std::string& key_path);

  X509* cert() const { return cert_.get(); }
  EVP_PKEY* key() const { return key_.get(); }
  std::string cert_pem() const { return to_pem(cert_.get()); }
  Status write(const std::string& cert_path, const std::string& key_path) const;

 private:
  CertificateAuthority(X509Ptr cert, PkeyPtr key) : cert_(std::move(cert)), key_(std::move(key)) {}
  X509Ptr cert_;
  PkeyPtr key_;
};

// A fresh key: ECDSA P-256, or RSA with `rsa_bits`.
Result<PkeyPtr> generate_key(bool rsa, int rsa_bits);

// Adds an X.509 v3 extension given in openssl's configuration syntax ("critical,CA:FALSE").
bool add_extension(X509* cert, X509* issuer, int nid, const char* value);

// A server certificate for `names` (host names or IP literals, the first also its CN), on
// `key`, signed by `ca`, valid from a day ago for `valid_days`: what a service of Kagami's own
// (the console) shows its clients.
Result<X509Ptr> issue_server_certificate(const CertificateAuthority& ca, EVP_PKEY* key,
                                         const std::vector<std::string>& names, int valid_days);

// Writes a certificate (0644) and its key (0600) as PEM; refuses to overwrite either.
Status write_certificate_and_key(X509* cert, EVP_PKEY* key, const std::string& cert_path,
                                 const std::string& key_path);

// Random positive 128-bit serial number, as CAs must use (CA/B Forum: at least 64 bits).
bool set_random_serial(X509* cert);

}  // namespace kagami::proxy
