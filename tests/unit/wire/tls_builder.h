#pragma once

// Builds TLS handshake messages byte by byte, so tests show exactly what is on the wire.
#include <cstdint>
#include <string>
#include <vector>

namespace kagami::testing {

class TlsBytes {
 public:
  TlsBytes& u8(unsigned v) {
    b_.push_back(static_cast<std::uint8_t>(v));
    return *this;
  }
  TlsBytes& u16(unsigned v) { return u8(v >> 8).u8(v); }
  TlsBytes& u24(unsigned v) { return u8(v >> 16).u8(v >> 8).u8(v); }
  TlsBytes& raw(const std::vector<std::uint8_t>& v) {
    b_.insert(b_.end(), v.begin(), v.end());
    return *this;
  }
  TlsBytes& str(const std::string& s) {
    b_.insert(b_.end(), s.begin(), s.end());
    return *this;
  }
  // A vector with a `prefix`-byte length.
  TlsBytes& vec(int prefix, const TlsBytes& inner) {
    const auto n = static_cast<unsigned>(inner.b_.size());
    if (prefix == 1) u8(n);
    if (prefix == 2) u16(n);
    if (prefix == 3) u24(n);
    return raw(inner.b_);
  }
  TlsBytes& u16s(const std::vector<std::uint16_t>& v) {
    for (auto x : v) u16(x);
    return *this;
  }
  const std::vector<std::uint8_t>& bytes() const { return b_; }

 private:
  std::vector<std::uint8_t> b_;
};

struct HelloSpec {
  std::uint16_t version = 0x0303;
  std::vector<std::uint16_t> ciphers;
  // Extensions in order: type and body.
  std::vector<std::pair<std::uint16_t, TlsBytes>> extensions;
};

inline TlsBytes sni_ext(const std::string& host) {
  TlsBytes name;
  name.u8(0).vec(2, TlsBytes().str(host));
  return TlsBytes().vec(2, name);
}
inline TlsBytes alpn_ext(const std::vector<std::string>& protocols) {
  TlsBytes list;
  for (const auto& p : protocols) list.vec(1, TlsBytes().str(p));
  return TlsBytes().vec(2, list);
}
inline TlsBytes u16_list_ext(int prefix, const std::vector<std::uint16_t>& v) {
  return TlsBytes().vec(prefix, TlsBytes().u16s(v));
}

// The body of a ClientHello (no handshake header).
inline TlsBytes client_hello_body(const HelloSpec& h) {
  TlsBytes b;
  b.u16(h.version);
  for (int i = 0; i < 32; ++i) b.u8(i);  // random
  b.vec(1, TlsBytes());                  // session id
  b.vec(2, TlsBytes().u16s(h.ciphers));  // cipher suites
  b.vec(1, TlsBytes().u8(0));            // compression: null
  TlsBytes ext;
  for (const auto& [type, body] : h.extensions) ext.u16(type).vec(2, body);
  b.vec(2, ext);
  return b;
}

inline TlsBytes server_hello_body(std::uint16_t version, std::uint16_t cipher,
                                  const std::vector<std::pair<std::uint16_t, TlsBytes>>& ext,
                                  bool retry = false) {
  static const std::uint8_t kRetry[32] = {0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11,
                                          0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
                                          0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e,
                                          0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};
  TlsBytes b;
  b.u16(version);
  for (int i = 0; i < 32; ++i) b.u8(retry ? kRetry[i] : 0x40 + i);
  b.vec(1, TlsBytes());
  b.u16(cipher).u8(0);
  TlsBytes e;
  for (const auto& [type, body] : ext) e.u16(type).vec(2, body);
  b.vec(2, e);
  return b;
}

// A handshake message (type, 3-byte length, body).
inline TlsBytes handshake(std::uint8_t type, const TlsBytes& body) {
  return TlsBytes().u8(type).vec(3, body);
}
// A record of `content` type carrying `payload`.
inline TlsBytes record(std::uint8_t content, const TlsBytes& payload,
                       std::uint16_t version = 0x0303) {
  return TlsBytes().u8(content).u16(version).vec(2, payload);
}

// The Chrome ClientHello browserleaks.com published with its JA3 and JA4 (see the tests).
inline HelloSpec chrome_hello() {
  HelloSpec h;
  h.version = 0x0303;
  h.ciphers = {0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9,
               0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
  h.extensions = {
      {0x002d, TlsBytes().vec(1, TlsBytes().u8(1))},                // psk_key_exchange_modes
      {0x0033, TlsBytes().vec(2, TlsBytes())},                      // key_share
      {0x0010, alpn_ext({"h2", "http/1.1"})},                       // ALPN
      {0xfe0d, TlsBytes().u8(0)},                                   // encrypted_client_hello
      {0x0017, TlsBytes()},                                         // extended_master_secret
      {0x44cd, TlsBytes()},                                         // application_settings
      {0x0000, sni_ext("browserleaks.com")},                        // server_name
      {0x000b, TlsBytes().vec(1, TlsBytes().u8(0))},                // ec_point_formats
      {0x000a, u16_list_ext(2, {0x11ec, 0x001d, 0x0017, 0x0018})},  // supported_groups
      {0x002b, u16_list_ext(1, {0x0304, 0x0303})},                  // supported_versions
      {0xff01, TlsBytes().u8(0)},                                   // renegotiation_info
      {0x0023, TlsBytes()},                                         // session_ticket
      {0x0012, TlsBytes()},                                         // SCT
      {0x0005, TlsBytes().u8(1).u16(0).u16(0)},                     // status_request
      {0x000d, u16_list_ext(2, {0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601})},
      {0x001b, TlsBytes().vec(1, TlsBytes().u16(2))},  // compress_certificate
  };
  return h;
}

}  // namespace kagami::testing
