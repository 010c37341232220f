#include "kagami/proxy/certificate_authority.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kagami/base/ip_address.h"

namespace kagami::proxy {
bool add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) return false;
  const bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

namespace {

Status write_file(const std::string& path, const std::string& text, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return make_error("cannot create {}: {}", path, std::strerror(errno));
  ::fchmod(fd, mode);  // exactly this mode, whatever the umask
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(path.c_str());
      return make_error("cannot write {}: {}", path, std::strerror(err));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0)
    return make_error("cannot write {}: {}", path, std::strerror(errno));
  return ok_status();
}

std::string key_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

}  // namespace

std::string to_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

Result<PkeyPtr> generate_key(bool rsa, int rsa_bits) {
  PkeyPtr key(rsa ? EVP_RSA_gen(static_cast<unsigned>(rsa_bits)) : EVP_EC_gen("P-256"));
  if (!key) return make_error("cannot generate a key: {}", openssl_errors());
  return key;
}

bool set_random_serial(X509* cert) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return false;
  bytes[0] &= 0x7f;  // positive
  bytes[0] |= 0x01;  // and a full 16 bytes
  BIGNUM* bn = BN_bin2bn(bytes, sizeof bytes, nullptr);
  const bool ok = bn != nullptr && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != nullptr;
  BN_free(bn);
  return ok;
}

Result<std::unique_ptr<CertificateAuthority>> CertificateAuthority::generate(
    const CaOptions& options) {
  auto key = generate_key(options.rsa, 3072);
  if (!key) return key.error();
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), X509_VERSION_3);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("Kagami"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(options.name.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(cert.get(), name);
  // A day back: clients whose clocks run a little behind must not see "not yet valid".
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -86400);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400L * options.valid_days);
  X509_set_pubkey(cert.get(), key->get());
  const bool ok =
      set_random_serial(cert.get()) &&
      add_extension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0") &&
      add_extension(cert.get(), cert.get(), NID_key_usage,
                    "critical,keyCertSign,cRLSign,digitalSignature") &&
      add_extension(cert.get(), cert.get(), NID_subject_key_identifier, "hash") &&
      add_extension(cert.get(), cert.get(), NID_authority_key_identifier, "keyid:always") &&
      X509_sign(cert.get(), key->get(), EVP_sha256()) > 0;
  if (!ok) return make_error("cannot make the CA certificate: {}", openssl_errors());
  return std::unique_ptr<CertificateAuthority>(
      new CertificateAuthority(std::move(cert), std::move(key.value())));
}

Result<std::unique_ptr<CertificateAuthority>> CertificateAuthority::load(
    const std::string& cert_path, const std::string& key_path) {
  std::FILE* f = std::fopen(cert_path.c_str(), "r");
  if (f == nullptr) return make_error("cannot read {}: {}", cert_path, std::strerror(errno));
  X509Ptr cert(PEM_read_X509(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  if (!cert) return make_error("{} holds no PEM certificate: {}", cert_path, openssl_errors());
  f = std::fopen(key_path.c_str(), "r");
  if (f == nullptr) return make_error("cannot read {}: {}", key_path, std::strerror(errno));
  PkeyPtr key(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  if (!key) return make_error("{} holds no PEM private key: {}", key_path, openssl_errors());
  if (X509_check_private_key(cert.get(), key.get()) != 1)
    return make_error("the key in {} does not belong to the certificate in {}", key_path,
                      cert_path);
  if (X509_check_ca(cert.get()) == 0)
    return make_error("{} is not a CA certificate (basicConstraints CA:TRUE is missing)",
                      cert_path);
  return std::unique_ptr<CertificateAuthority>(
      new CertificateAuthority(std::move(cert), std::move(key)));
}

Result<X509Ptr> issue_server_certificate(const CertificateAuthority& ca, EVP_PKEY* key,
                                         const std::vector<std::string>& names, int valid_days) {
  if (names.empty()) return make_error("a server certificate needs a name");
  X509Ptr cert(X509_new());
  X509* c = cert.get();
  X509_set_version(c, X509_VERSION_3);
  std::string sans;
  for (const std::string& n : names) {
    const bool ip = IpAddress::parse(n).ok();
    sans += (sans.empty() ? "" : ",") + std::string(ip ? "IP:" : "DNS:") + n;
  }
  X509_NAME* subject = X509_get_subject_name(c);
  bool ok =
      set_random_serial(c) && X509_set_issuer_name(c, X509_get_subject_name(ca.cert())) &&
      X509_NAME_add_entry_by_txt(
          subject, "CN", MBSTRING_UTF8,
          reinterpret_cast<const unsigned char*>(names[0].substr(0, 64).c_str()), -1, -1, 0) == 1;
  X509_gmtime_adj(X509_getm_notBefore(c), -86400);
  X509_gmtime_adj(X509_getm_notAfter(c), 86400L * valid_days);
  ok = ok && X509_set_pubkey(c, key) &&
       add_extension(c, ca.cert(), NID_subject_alt_name, sans.c_str()) &&
       add_extension(c, ca.cert(), NID_basic_constraints, "critical,CA:FALSE") &&
       add_extension(c, ca.cert(), NID_key_usage, "critical,digitalSignature") &&
       add_extension(c, ca.cert(), NID_ext_key_usage, "serverAuth") &&
       add_extension(c, ca.cert(), NID_subject_key_identifier, "hash") &&
       add_extension(c, ca.cert(), NID_authority_key_identifier, "keyid:always") &&
       X509_sign(c, ca.key(), EVP_sha256()) > 0;
  if (!ok) return make_error("cannot issue a certificate for {}: {}", names[0], openssl_errors());
  return cert;
}

Status write_certificate_and_key(X509* cert, EVP_PKEY* key, const std::string& cert_path,
                                 const std::string& key_path) {
  if (auto s = write_file(key_path, key_pem(key), 0600); !s) return s;
  return write_file(cert_path, to_pem(cert), 0644);
}

Status CertificateAuthority::write(const std::string& cert_path,
                                   const std::string& key_path) const {
  if (auto s = write_file(key_path, key_pem(key_.get()), 0600); !s) return s;
  return write_file(cert_path, cert_pem(), 0644);
}

Status init_ca_dir(const std::string& dir, const CaOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return make_error("cannot create {}: {}", dir, ec.message());
  if (std::filesystem::exists(CaFiles::cert(dir)) || std::filesystem::exists(CaFiles::key(dir)))
    return make_error("{} already holds a CA; clients may trust it, so it is not replaced", dir);
  auto ca = CertificateAuthority::generate(options);
  if (!ca) return ca.error();
  CaOptions untrusted = options;
  untrusted.name = options.name + " (untrusted: upstream failed verification)";
  auto bad = CertificateAuthority::generate(untrusted);
  if (!bad) return bad.error();
  if (auto s = (*ca)->write(CaFiles::cert(dir), CaFiles::key(dir)); !s) return s;
  return (*bad)->write(CaFiles::untrusted_cert(dir), CaFiles::untrusted_key(dir));
}

}  // namespace kagami::proxy
