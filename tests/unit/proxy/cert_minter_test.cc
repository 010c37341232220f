// Minted certificates: the upstream's names, validity inside the CA's, signed by the CA the
// verdict chose, and cached so a host seen again costs no signing.
#include "kagami/proxy/cert_minter.h"

#include <gtest/gtest.h>
#include <openssl/x509v3.h>

namespace kagami::proxy {
namespace {

std::unique_ptr<CertificateAuthority> ca(const char* name) {
  CaOptions o;
  o.name = name;
  auto c = CertificateAuthority::generate(o);
  EXPECT_TRUE(c.ok());
  return std::move(c.value());
}

// An upstream certificate for www.example.com (self-signed: only its fields matter here).
X509Ptr upstream(long not_before_days, long not_after_days, bool with_san) {
  PkeyPtr key(EVP_EC_gen("P-256"));
  X509Ptr c(X509_new());
  X509_set_version(c.get(), X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(c.get()), 42);
  X509_NAME* n = X509_get_subject_name(c.get());
  X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("Example"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("www.example.com"), -1, -1, 0);
  X509_set_issuer_name(c.get(), n);
  X509_gmtime_adj(X509_getm_notBefore(c.get()), not_before_days * 86400L);
  X509_gmtime_adj(X509_getm_notAfter(c.get()), not_after_days * 86400L);
  X509_set_pubkey(c.get(), key.get());
  if (with_san)
    add_extension(c.get(), c.get(), NID_subject_alt_name,
                  "DNS:www.example.com,DNS:example.com,IP:192.0.2.1");
  X509_sign(c.get(), key.get(), EVP_sha256());
  return c;
}

std::string sans(X509* c) {
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(c, NID_subject_alt_name, nullptr, nullptr));
  std::string out;
  for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* g = sk_GENERAL_NAME_value(names, i);
    if (g->type == GEN_DNS)
      out += std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(g->d.dNSName))) + ",";
    if (g->type == GEN_IPADD) out += "ip,";
  }
  GENERAL_NAMES_free(names);
  return out;
}

TEST(CertMinter, CopiesNamesAndSignsWithTheChosenCa) {
  auto trusted = ca("Trusted"), untrusted = ca("Untrusted");
  X509* trusted_cert = trusted->cert();
  X509* untrusted_cert = untrusted->cert();
  CertMinter m(std::move(trusted), std::move(untrusted), PkeyPtr(EVP_EC_gen("P-256")), 16);
  const X509Ptr up = upstream(-10, 60, true);
  auto minted = m.mint(up.get(), "www.example.com", true);
  ASSERT_TRUE(minted.ok()) << minted.error().message;
  X509* leaf = (*minted)->leaf.get();
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(leaf), X509_get_subject_name(up.get())), 0);
  EXPECT_EQ(sans(leaf), "www.example.com,example.com,ip,");
  EXPECT_EQ(X509_verify(leaf, X509_get0_pubkey(trusted_cert)), 1);
  EXPECT_EQ(X509_check_purpose(leaf, X509_PURPOSE_SSL_SERVER, 0), 1);
  EXPECT_EQ(X509_check_ca(leaf), 0);
  EXPECT_EQ(ASN1_TIME_compare(X509_get0_notAfter(leaf), X509_get0_notAfter(up.get())), 0);
  auto bad = m.mint(up.get(), "www.example.com", false);
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(X509_verify((*bad)->leaf.get(), X509_get0_pubkey(untrusted_cert)), 1);
  EXPECT_NE(X509_verify((*bad)->leaf.get(), X509_get0_pubkey(trusted_cert)), 1);
}

TEST(CertMinter, ValidityStaysInsideTheCas) {
  CertMinter m(ca("T"), ca("U"), PkeyPtr(EVP_EC_gen("P-256")), 16);
  const X509Ptr up = upstream(-9000, 9000, true);  // wider than the CA's (-1 day .. 10 years)
  auto minted = m.mint(up.get(), "www.example.com", true);
  ASSERT_TRUE(minted.ok());
  X509* leaf = (*minted)->leaf.get();
  X509* issuer = (*minted)->issuer;
  EXPECT_GE(ASN1_TIME_compare(X509_get0_notBefore(leaf), X509_get0_notBefore(issuer)), 0);
  EXPECT_LE(ASN1_TIME_compare(X509_get0_notAfter(leaf), X509_get0_notAfter(issuer)), 0);
}

TEST(CertMinter, ACnOnlyUpstreamGetsTheHostAsItsName) {
  CertMinter m(ca("T"), ca("U"), PkeyPtr(EVP_EC_gen("P-256")), 16);
  const X509Ptr up = upstream(-1, 30, false);
  auto minted = m.mint(up.get(), "www.example.com", true);
  ASSERT_TRUE(minted.ok());
  EXPECT_EQ(sans((*minted)->leaf.get()), "www.example.com,");
}

TEST(CertMinter, CachedHostsCostNoSigningAndTheCacheIsBounded) {
  CertMinter m(ca("T"), ca("U"), PkeyPtr(EVP_EC_gen("P-256")), 2);
  const X509Ptr a = upstream(-1, 30, true), b = upstream(-2, 30, true), c = upstream(-3, 30, true);
  auto first = m.mint(a.get(), "www.example.com", true);
  auto again = m.mint(a.get(), "www.example.com", true);
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(first->get(), again->get());
  EXPECT_EQ(m.counters().minted, 1u);
  EXPECT_EQ(m.counters().hits, 1u);
  ASSERT_TRUE(m.mint(b.get(), "www.example.com", true).ok());
  ASSERT_TRUE(m.mint(c.get(), "www.example.com", true).ok());
  EXPECT_EQ(m.cached(), 2u);
  EXPECT_EQ(m.counters().evicted, 1u);
  ASSERT_TRUE(m.mint(a.get(), "www.example.com", true).ok());  // evicted: minted anew
  EXPECT_EQ(m.counters().minted, 4u);
}

}  // namespace
}  // namespace kagami::proxy
