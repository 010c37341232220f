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
  std::string ja3, ja3s, ja4, ja4s;          // ja3/ja3s: MD5 hex of their strings
  std::string ja3_string, ja3s_string;
  // The server's certificate (its leaf), readable up to TLS 1.2.
  std::string cert_subject, cert_issuer, cert_sha256, cert_serial;
  std::vector<std::string> cert_sans;
  TimeNs cert_not_before = 0, cert_not_after = 0;
  std::uint32_t cert_count = 0;        // certificates in the server's chain
  bool encrypted_certificate = false;  // TLS 1.3: certificates are encrypted
  std::string client_cert_subject;     // a client certificate sent in the clear
  // The first alert sent in the clear ("unknown_ca"); for sessions through the insight proxy,
  // why it refused the connection ("upstream refused: certificate has expired").
  std::string alert;
  bool hello_retry = false;  // TLS 1.3 HelloRetryRequest
  bool client_hello_seen = false, server_hello_seen = false;
  bool partial = false;  // a gap or a malformed message cut the handshake short
  // Set when the insight proxy carried the session: it decrypted it (the version and cipher
  // above are then the client leg's), the upstream leg's version and cipher, its verdict on
  // the server's certificate ("" when valid) and the policy decision with its reason.
  bool decrypted = false;
  std::string upstream_version, upstream_cipher, upstream_verdict, policy;
};

}  // namespace kagami::records
