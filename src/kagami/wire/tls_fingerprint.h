#pragma once

#include <string>

#include "kagami/wire/tls_handshake.h"

namespace kagami::wire {

// Client and server fingerprints as threat-intelligence feeds publish them.
//
// JA3 (Salesforce): "version,ciphers,extensions,groups,point_formats" in decimal, dash-joined,
// GREASE values left out; the fingerprint is the MD5 of that string. JA3S likewise from the
// ServerHello: "version,cipher,extensions".
std::string ja3_string(const TlsClientHello& hello);
std::string ja3s_string(const TlsServerHello& hello);
std::string ja3_hash(const std::string& ja3_or_ja3s_string);

// JA4 and JA4S (FoxIO, JA4+ specification): a readable prefix and truncated SHA-256 hashes of
// the sorted cipher and extension lists. `transport` is 't' (TCP), 'q' (QUIC) or 'd' (DTLS).
// `raw` gives the unhashed form (JA4_r), for when a hash must be explained.
std::string ja4(const TlsClientHello& hello, char transport = 't', bool raw = false);
std::string ja4s(const TlsServerHello& hello, char transport = 't', bool raw = false);

}  // namespace kagami::wire
