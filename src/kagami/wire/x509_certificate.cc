#include "kagami/wire/x509_certificate.h"

#include <memory>

#include <fmt/core.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace kagami::wire {
namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct NamesFree {
  void operator()(GENERAL_NAMES* n) const { GENERAL_NAMES_free(n); }
};

std::string name_string(const X509_NAME* name) {
  if (name == nullptr) return {};
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio) return {};
  // RFC 2253 order and escaping, with UTF-8 kept as UTF-8 rather than \-escaped.
  constexpr unsigned long kFlags = XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;
  if (X509_NAME_print_ex(bio.get(), name, 0, kFlags) < 0) return {};
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

std::string asn1_string(const ASN1_STRING* s) {
  if (s == nullptr) return {};
  unsigned char* utf8 = nullptr;
  const int n = ASN1_STRING_to_UTF8(&utf8, s);
  if (n < 0) return {};
  std::string out(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(n));
  OPENSSL_free(utf8);
  return out;
}

std::string common_name(const X509_NAME* name) {
  if (name == nullptr) return {};
  int last = -1;
  for (int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(name, NID_commonName, i))
    last = i;
  if (last < 0) return {};
  return asn1_string(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, last)));
}

TimeNs asn1_time(const ASN1_TIME* t) {
  struct tm tm {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<TimeNs>(timegm(&tm)) * 1'000'000'000;
}

std::string ip_string(const ASN1_OCTET_STRING* ip) {
  const unsigned char* p = ASN1_STRING_get0_data(ip);
  const int n = ASN1_STRING_length(ip);
  if (n == 4) return fmt::format("{}.{}.{}.{}", p[0], p[1], p[2], p[3]);
  if (n == 16) {
    std::string s;
    for (int i = 0; i < 16; i += 2) {
      if (i) s += ':';
      s += fmt::format("{:x}", (p[i] << 8) | p[i + 1]);
    }
    return s;
  }
  return fmt::format("<{} bytes>", n);
}

std::vector<std::string> subject_alt_names(X509* x) {
  std::vector<std::string> out;
  std::unique_ptr<GENERAL_NAMES, NamesFree> names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x, NID_subject_alt_name, nullptr, nullptr)));
  if (!names) return out;
  constexpr int kMaxNames = 1000;
  const int n = std::min(sk_GENERAL_NAME_num(names.get()), kMaxNames);
  for (int i = 0; i < n; ++i) {
    const GENERAL_NAME* g = sk_GENERAL_NAME_value(names.get(), i);
    switch (g->type) {
      case GEN_DNS:
        out.push_back("DNS:" + asn1_string(g->d.dNSName));
        break;
      case GEN_IPADD:
        out.push_back("IP:" + ip_string(g->d.iPAddress));
        break;
      case GEN_EMAIL:
        out.push_back("email:" + asn1_string(g->d.rfc822Name));
        break;
      case GEN_URI:
        out.push_back("URI:" + asn1_string(g->d.uniformResourceIdentifier));
        break;
      default:
        break;
    }
  }
  return out;
}

std::string key_description(X509* x) {
  EVP_PKEY* key = X509_get0_pubkey(x);
  if (key == nullptr) return {};
  const char* type = OBJ_nid2sn(EVP_PKEY_get_base_id(key));
  return fmt::format("{} {}", type != nullptr ? type : "?", EVP_PKEY_get_bits(key));
}

}  // namespace

Result<X509Summary> parse_x509(ByteView der) {
  const unsigned char* p = der.data();
  std::unique_ptr<X509, X509Free> x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!x) return make_error("not a DER X.509 certificate");
  X509Summary s;
  s.subject = name_string(X509_get_subject_name(x.get()));
  s.issuer = name_string(X509_get_issuer_name(x.get()));
  s.common_name = common_name(X509_get_subject_name(x.get()));
  s.self_issued = X509_NAME_cmp(X509_get_subject_name(x.get()), X509_get_issuer_name(x.get())) == 0;
  if (const ASN1_INTEGER* serial = X509_get0_serialNumber(x.get())) {
    const unsigned char* d = ASN1_STRING_get0_data(serial);
    for (int i = 0; i < ASN1_STRING_length(serial); ++i) s.serial += fmt::format("{:02x}", d[i]);
  }
  s.not_before = asn1_time(X509_get0_notBefore(x.get()));
  s.not_after = asn1_time(X509_get0_notAfter(x.get()));
  s.sans = subject_alt_names(x.get());
  s.key = key_description(x.get());
  return s;
}

}  // namespace kagami::wire
