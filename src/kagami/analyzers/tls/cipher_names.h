#pragma once

#include <cstdint>
#include <string>

namespace kagami::analyzers {

// The IANA name of a TLS cipher suite ("TLS_AES_128_GCM_SHA256"), from OpenSSL's tables, or
// its value in hex when OpenSSL does not know it.
std::string tls_cipher_name(std::uint16_t suite);

}  // namespace kagami::analyzers
