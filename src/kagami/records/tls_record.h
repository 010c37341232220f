#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kagami/base/time.h"
#include "kagami/records/endpoints.h"

namespace kagami::records {

// TLS seen without decryption: the handshake's metadata.
struct TlsRecord {
  std::uint64_t session_id = 0;
  Endpoints endpoints;
  TimeNs ts = 0;
  std::string sni;
  std::vector<std::string> alpn;  // offered by the client
  std::string alpn_selected;
  std::vector<std::string> client_versions;  // supported_versions, or the hello's version
  std::string version;                       // negotiated ("TLS 1.3")
  std::string cipher;                        // negotiated, IANA name
  std::string ja3, ja3s, ja4;                // ja3/ja3s: MD5 hex of their strings
  std::string ja3_string, ja3s_string;
  std::string cert_subject, cert_issuer, cert_sha256;
  std::vector<std::string> cert_sans;
  TimeNs cert_not_before = 0, cert_not_after = 0;
  std::uint32_t cert_count = 0;
  bool encrypted_certificate = false;  // TLS 1.3: certificates are encrypted
  bool client_hello_seen = false, server_hello_seen = false;
};

}  // namespace kagami::records
