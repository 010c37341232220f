#pragma once

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "kagami/base/result.h"
#include "kagami/proxy/certificate_authority.h"

namespace kagami::proxy {

// A certificate made for one upstream, to show its client.
struct MintedCert {
  X509Ptr leaf;
  X509* issuer = nullptr;  // the CA that signed it, owned by the minter
  bool trusted = true;     // signed by the organisation's CA (else by the untrusted one)
};

struct MinterCounters {
  std::atomic<std::uint64_t> hits{0}, minted{0}, evicted{0}, failed{0};
};

// Mints per-host certificates from an upstream certificate's names (subject and SANs copied,
// validity kept inside the CA's), all on one leaf key made at start, and keeps the last
// `cache_entries` of them: a host seen before costs no key generation and no signing.
// Thread-safe; the lock covers a map lookup, signing happens outside it.
class CertMinter {
 public:
  CertMinter(std::unique_ptr<CertificateAuthority> trusted,
             std::unique_ptr<CertificateAuthority> untrusted, PkeyPtr leaf_key,
             std::size_t cache_entries);

  // For `upstream` (the server's leaf) as reached under `host`; `trusted` chooses the CA. The
  // host becomes a SAN only when the upstream certificate has none (a CN-only certificate).
  Result<std::shared_ptr<const MintedCert>> mint(X509* upstream, const std::string& host,
                                                 bool trusted);
  // For a host whose upstream certificate is not known (an answer from the proxy itself).
  Result<std::shared_ptr<const MintedCert>> mint_for_host(const std::string& host, bool trusted);

  EVP_PKEY* leaf_key() const { return leaf_key_.get(); }
  const CertificateAuthority& trusted_ca() const { return *trusted_; }
  const MinterCounters& counters() const { return counters_; }
  std::size_t cached() const;

 private:
  std::shared_ptr<const MintedCert> lookup(const std::string& key);
  void insert(const std::string& key, std::shared_ptr<const MintedCert> cert);
  Result<std::shared_ptr<const MintedCert>> sign(X509* upstream, const std::string& host,
                                                 bool trusted);

  std::unique_ptr<CertificateAuthority> trusted_, untrusted_;
  PkeyPtr leaf_key_;
  std::size_t capacity_;
  mutable std::mutex mutex_;
  using Entry = std::pair<std::string, std::shared_ptr<const MintedCert>>;
  std::list<Entry> lru_;  // most recent first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  MinterCounters counters_;
};

}  // namespace kagami::proxy
