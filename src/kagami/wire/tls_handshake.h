#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kagami/base/byte_view.h"
#include "kagami/base/result.h"

namespace kagami::wire {

// TLS record content types (RFC 8446 B.1).
enum class TlsContent : std::uint8_t {
  kChangeCipherSpec = 20,
  kAlert = 21,
  kHandshake = 22,
  kApplicationData = 23,
  kHeartbeat = 24,
};

// Handshake message types that are read without decryption (RFC 8446 B.3, RFC 5246 7.4).
enum class TlsHandshakeType : std::uint8_t {
  kClientHello = 1,
  kServerHello = 2,
  kCertificate = 11,
  kServerKeyExchange = 12,
  kCertificateRequest = 13,
  kServerHelloDone = 14,
  kClientKeyExchange = 16,
};

constexpr std::size_t kTlsRecordHeaderBytes = 5;
constexpr std::size_t kTlsMaxRecordBytes = (1u << 14) + 2048;  // TLSCiphertext bound

struct TlsRecordHeader {
  std::uint8_t type = 0;
  std::uint16_t version = 0;
  std::uint16_t length = 0;
};

// The header of the record at the front of `bytes`, if it looks like one: a known content
// type, major version 3 and a length within the bound.
bool parse_tls_record_header(ByteView bytes, TlsRecordHeader& out);

struct TlsClientHello {
  std::uint16_t version = 0;  // legacy_version
  std::vector<std::uint16_t> ciphers;
  std::vector<std::uint16_t> extensions;  // in the order sent
  std::vector<std::uint16_t> groups;      // supported_groups (elliptic_curves)
  std::vector<std::uint8_t> point_formats;
  std::vector<std::uint16_t> signature_algorithms;
  std::vector<std::uint16_t> supported_versions;
  std::vector<std::string> alpn;
  std::string sni;  // the first host_name
  bool has_sni = false;
};

struct TlsServerHello {
  std::uint16_t version = 0;  // legacy_version
  std::uint16_t cipher = 0;
  std::vector<std::uint16_t> extensions;
  std::uint16_t selected_version = 0;  // supported_versions, 0 if absent
  std::string alpn;
  bool hello_retry_request = false;  // RFC 8446 4.1.3: the special random value
};

// The bodies of handshake messages (after the 4-byte type and length). Untrusted input: every
// length is checked against its container; a malformed extension fails the whole message.
Result<TlsClientHello> parse_client_hello(ByteView body);
Result<TlsServerHello> parse_server_hello(ByteView body);
// The DER certificates of a Certificate message, leaf first. `tls13` selects the RFC 8446
// layout (a request context and per-entry extensions).
Result<std::vector<ByteView>> parse_certificate_list(ByteView body, bool tls13);

// RFC 8701: the reserved values clients send to keep servers tolerant, which fingerprints skip.
inline bool tls_grease(std::uint16_t v) { return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff); }

// "TLS 1.2", "SSL 3.0", or the value in hex.
std::string tls_version_name(std::uint16_t version);
// The alert description's name (RFC 8446 6), or its number.
std::string tls_alert_name(std::uint8_t description);

}  // namespace kagami::wire
