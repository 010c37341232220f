#pragma once

#include <cstdint>

#include "kagami/base/byte_view.h"
#include "kagami/records/tls_record.h"

namespace kagami::analyzers {

// Fills the server-certificate fields of a TLS record from the leaf's DER: its SHA-256, the
// chain length, and what OpenSSL reads of subject, issuer, serial, SANs and validity. False
// when OpenSSL cannot parse it (the hash and count are set anyway). Used for certificates seen
// in the clear and for those the insight proxy received from the server.
bool describe_server_certificate(ByteView leaf_der, std::uint32_t chain_length,
                                 records::TlsRecord& out);

}  // namespace kagami::analyzers
