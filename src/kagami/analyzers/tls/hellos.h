#pragma once

#include "kagami/records/tls_record.h"
#include "kagami/wire/tls_handshake.h"

namespace kagami::analyzers {

// Fills what a ClientHello tells a TLS record: the name asked for, the protocols (ALPN) and
// versions offered, JA3 and JA4 (`transport`: 't' over TCP, 'q' over QUIC). Used for hellos
// seen in the clear and for those the insight proxy received from its clients.
void describe_client_hello(const wire::TlsClientHello& hello, char transport,
                           records::TlsRecord& out);

// Fills what a ServerHello tells: the version and suite chosen, the protocol, JA3S and JA4S.
// Returns the version chosen (supported_versions, else the hello's own).
std::uint16_t describe_server_hello(const wire::TlsServerHello& hello, char transport,
                                    records::TlsRecord& out);

}  // namespace kagami::analyzers
