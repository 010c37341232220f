#include "kagami/analyzers/tls/server_certificate.h"

#include "kagami/base/sha256.h"
#include "kagami/wire/x509_certificate.h"

namespace kagami::analyzers {

bool describe_server_certificate(ByteView leaf_der, std::uint32_t chain_length,
                                 records::TlsRecord& out) {
  out.cert_count = chain_length;
  out.cert_sha256 = to_hex(Sha256::of(leaf_der));
  auto leaf = wire::parse_x509(leaf_der);
  if (!leaf) return false;
  out.cert_subject = leaf->subject;
  out.cert_issuer = leaf->issuer;
  out.cert_serial = leaf->serial;
  out.cert_sans = leaf->sans;
  out.cert_not_before = leaf->not_before;
  out.cert_not_after = leaf->not_after;
  return true;
}

}  // namespace kagami::analyzers
