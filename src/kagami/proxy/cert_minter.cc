#include "kagami/proxy/cert_minter.h"

#include <openssl/x509v3.h>

#include "kagami/base/sha256.h"

namespace kagami::proxy {
namespace {

// The later of two times.
const ASN1_TIME* later(const ASN1_TIME* a, const ASN1_TIME* b) {
  return ASN1_TIME_compare(a, b) >= 0 ? a : b;
}
const ASN1_TIME* earlier(const ASN1_TIME* a, const ASN1_TIME* b) {
  return ASN1_TIME_compare(a, b) <= 0 ? a : b;
}

std::string digest_hex(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  X509_digest(cert, EVP_sha256(), md, &n);
  return to_hex(ByteView(md, n));
}

bool is_ip_literal(const std::string& host) {
  return host.find(':') != std::string::npos ||
         host.find_first_not_of("0123456789.") == std::string::npos;
}

}  // namespace

CertMinter::CertMinter(std::unique_ptr<CertificateAuthority> trusted,
                       std::unique_ptr<CertificateAuthority> untrusted, PkeyPtr leaf_key,
                       std::size_t cache_entries)
    : trusted_(std::move(trusted)),
      untrusted_(std::move(untrusted)),
      leaf_key_(std::move(leaf_key)),
      capacity_(cache_entries == 0 ? 1 : cache_entries) {}

std::size_t CertMinter::cached() const {
  std::lock_guard lock(mutex_);
  return lru_.size();
}

std::shared_ptr<const MintedCert> CertMinter::lookup(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = index_.find(key);
  if (it == index_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  counters_.hits.fetch_add(1, std::memory_order_relaxed);
  return it->second->second;
}

void CertMinter::insert(const std::string& key, std::shared_ptr<const MintedCert> cert) {
  std::lock_guard lock(mutex_);
  if (index_.count(key)) return;  // another thread minted the same one meanwhile
  lru_.emplace_front(key, std::move(cert));
  index_[key] = lru_.begin();
  while (lru_.size() > capacity_) {
    index_.erase(lru_.back().first);
    lru_.pop_back();
    counters_.evicted.fetch_add(1, std::memory_order_relaxed);
  }
}

Result<std::shared_ptr<const MintedCert>> CertMinter::mint(X509* upstream, const std::string& host,
                                                           bool trusted) {
  const bool has_san = X509_get_ext_by_NID(upstream, NID_subject_alt_name, -1) >= 0;
  const std::string key =
      digest_hex(upstream) + (trusted ? "/t/" : "/u/") + (has_san ? std::string() : host);
  if (auto hit = lookup(key)) return hit;
  auto made = sign(upstream, host, trusted);
  if (!made) return made;
  insert(key, *made);
  return made;
}

Result<std::shared_ptr<const MintedCert>> CertMinter::mint_for_host(const std::string& host,
                                                                    bool trusted) {
  const std::string key = "host/" + std::string(trusted ? "t/" : "u/") + host;
  if (auto hit = lookup(key)) return hit;
  auto made = sign(nullptr, host, trusted);
  if (!made) return made;
  insert(key, *made);
  return made;
}

Result<std::shared_ptr<const MintedCert>> CertMinter::sign(X509* upstream, const std::string& host,
                                                           bool trusted) {
  const CertificateAuthority& ca = trusted ? *trusted_ : *untrusted_;
  auto out = std::make_shared<MintedCert>();
  out->issuer = ca.cert();
  out->trusted = trusted;
  X509Ptr cert(X509_new());
  X509* c = cert.get();
  X509_set_version(c, X509_VERSION_3);
  bool ok = set_random_serial(c) && X509_set_issuer_name(c, X509_get_subject_name(ca.cert()));
  bool san_done = false;
  if (upstream != nullptr) {
    ok = ok && X509_set_subject_name(c, X509_get_subject_name(upstream));
    // Validity: the upstream's, inside the CA's, so the client judges dates as it would have.
    ok =
        ok &&
        X509_set1_notBefore(c,
                            later(X509_get0_notBefore(upstream), X509_get0_notBefore(ca.cert()))) &&
        X509_set1_notAfter(c, earlier(X509_get0_notAfter(upstream), X509_get0_notAfter(ca.cert())));
    if (auto* sans = static_cast<GENERAL_NAMES*>(
            X509_get_ext_d2i(upstream, NID_subject_alt_name, nullptr, nullptr))) {
      ok = ok && X509_add1_ext_i2d(c, NID_subject_alt_name, sans, 0, X509V3_ADD_DEFAULT) == 1;
      GENERAL_NAMES_free(sans);
      san_done = true;
    }
  } else {
    X509_NAME* name = X509_get_subject_name(c);
    ok = ok && X509_NAME_add_entry_by_txt(
                   name, "CN", MBSTRING_UTF8,
                   reinterpret_cast<const unsigned char*>(host.substr(0, 64).c_str()), -1, -1, 0);
    X509_gmtime_adj(X509_getm_notBefore(c), -86400);
    X509_gmtime_adj(X509_getm_notAfter(c), 86400L * 30);
  }
  if (!san_done && !host.empty()) {
    const std::string san = (is_ip_literal(host) ? "IP:" : "DNS:") + host;
    ok = ok && add_extension(c, ca.cert(), NID_subject_alt_name, san.c_str());
  }
  ok = ok && X509_set_pubkey(c, leaf_key_.get()) &&
       add_extension(c, ca.cert(), NID_basic_constraints, "critical,CA:FALSE") &&
       add_extension(c, ca.cert(), NID_key_usage,
                     EVP_PKEY_get_base_id(leaf_key_.get()) == EVP_PKEY_RSA
                         ? "critical,digitalSignature,keyEncipherment"
                         : "critical,digitalSignature") &&
       add_extension(c, ca.cert(), NID_ext_key_usage, "serverAuth") &&
       add_extension(c, ca.cert(), NID_subject_key_identifier, "hash") &&
       add_extension(c, ca.cert(), NID_authority_key_identifier, "keyid:always") &&
       X509_sign(c, ca.key(), EVP_sha256()) > 0;
  if (!ok) {
    counters_.failed.fetch_add(1, std::memory_order_relaxed);
    return make_error("cannot mint a certificate for {}: {}", host, openssl_errors());
  }
  counters_.minted.fetch_add(1, std::memory_order_relaxed);
  out->leaf = std::move(cert);
  return std::shared_ptr<const MintedCert>(std::move(out));
}

}  // namespace kagami::proxy
