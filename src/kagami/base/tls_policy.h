#pragma once

namespace kagami {

// The TLS 1.2 suites Kagami offers wherever it is the server (the console, the proxy's leg to
// its clients, the mirror's pcap-over-IP stream): forward secrecy and AEAD only — no CBC (the
// Lucky 13 and padding-oracle family), no RSA key exchange, no 3DES or RC4. Every TLS 1.3 suite
// is AEAD already. Clients from before ECDHE with GCM (about 2013) cannot connect.
inline constexpr const char* kServerTls12Ciphers = "ECDHE+AESGCM:ECDHE+CHACHA20";

}  // namespace kagami
