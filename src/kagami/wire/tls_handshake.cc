#include "kagami/wire/tls_handshake.h"

#include <array>
#include <cstring>

#include <fmt/core.h>

namespace kagami::wire {
namespace {

// A cursor over one length-delimited structure; every read is checked against its end.
class Reader {
 public:
  explicit Reader(ByteView b) : b_(b) {}
  bool u8(std::uint8_t& v) {
    if (left() < 1) return false;
    v = b_[pos_++];
    return true;
  }
  bool u16(std::uint16_t& v) {
    if (left() < 2) return false;
    v = load_be16(b_.data() + pos_);
    pos_ += 2;
    return true;
  }
  bool u24(std::uint32_t& v) {
    if (left() < 3) return false;
    v = (std::uint32_t{b_[pos_]} << 16) | (std::uint32_t{b_[pos_ + 1]} << 8) | b_[pos_ + 2];
    pos_ += 3;
    return true;
  }
  bool bytes(std::size_t n, ByteView& out) {
    if (left() < n) return false;
    out = b_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  // A vector with a length prefix of `prefix` bytes (RFC 8446 3.4).
  bool vec(int prefix, ByteView& out) {
    std::uint32_t n = 0;
    if (prefix == 1) {
      std::uint8_t v;
      if (!u8(v)) return false;
      n = v;
    } else if (prefix == 2) {
      std::uint16_t v;
      if (!u16(v)) return false;
      n = v;
    } else {
      if (!u24(n)) return false;
    }
    return bytes(n, out);
  }
  std::size_t left() const { return b_.size() - pos_; }
  bool done() const { return pos_ == b_.size(); }

 private:
  ByteView b_;
  std::size_t pos_ = 0;
};

bool u16_list(ByteView b, std::vector<std::uint16_t>& out) {
  if (b.size() % 2 != 0) return false;
  for (std::size_t i = 0; i < b.size(); i += 2) out.push_back(load_be16(b.data() + i));
  return true;
}

bool alpn_list(ByteView b, std::vector<std::string>& out) {
  Reader r(b);
  ByteView list;
  if (!r.vec(2, list) || !r.done()) return false;
  Reader names(list);
  while (!names.done()) {
    ByteView name;
    if (!names.vec(1, name)) return false;
    out.emplace_back(as_chars(name));
  }
  return true;
}

// RFC 6066 3: the first host_name of server_name.
bool server_name(ByteView b, std::string& out) {
  Reader r(b);
  ByteView list;
  if (!r.vec(2, list)) return false;
  Reader names(list);
  while (!names.done()) {
    std::uint8_t type;
    ByteView name;
    if (!names.u8(type) || !names.vec(2, name)) return false;
    if (type == 0 && out.empty()) out.assign(as_chars(name));
  }
  return true;
}

constexpr std::array<std::uint8_t, 32> kHelloRetryRandom = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};

}  // namespace

bool parse_tls_record_header(ByteView bytes, TlsRecordHeader& out) {
  if (bytes.size() < kTlsRecordHeaderBytes) return false;
  const std::uint8_t type = bytes[0];
  if (type < 20 || type > 24) return false;
  if (bytes[1] != 3 || bytes[2] > 4) return false;
  const std::uint16_t length = load_be16(bytes.data() + 3);
  if (length > kTlsMaxRecordBytes) return false;
  out = {type, load_be16(bytes.data() + 1), length};
  return true;
}

Result<TlsClientHello> parse_client_hello(ByteView body) {
  TlsClientHello h;
  Reader r(body);
  ByteView random, session_id, ciphers, compression;
  if (!r.u16(h.version) || !r.bytes(32, random) || !r.vec(1, session_id) || !r.vec(2, ciphers) ||
      !r.vec(1, compression))
    return make_error("TLS ClientHello is truncated");
  if (session_id.size() > 32) return make_error("TLS ClientHello session id is too long");
  if (!u16_list(ciphers, h.ciphers)) return make_error("TLS ClientHello cipher list is odd");
  if (r.done()) return h;  // no extensions (SSL 3.0 style)
  ByteView extensions;
  if (!r.vec(2, extensions)) return make_error("TLS ClientHello extensions are truncated");
  Reader ext(extensions);
  while (!ext.done()) {
    std::uint16_t type;
    ByteView data;
    if (!ext.u16(type) || !ext.vec(2, data))
      return make_error("TLS ClientHello extension is truncated");
    h.extensions.push_back(type);
    Reader d(data);
    ByteView inner;
    bool ok = true;
    switch (type) {
      case 0:  // server_name
        h.has_sni = true;
        ok = data.empty() || server_name(data, h.sni);
        break;
      case 10:  // supported_groups
        ok = d.vec(2, inner) && u16_list(inner, h.groups);
        break;
      case 11:  // ec_point_formats
        ok = d.vec(1, inner);
        if (ok) h.point_formats.assign(inner.begin(), inner.end());
        break;
      case 13:  // signature_algorithms
        ok = d.vec(2, inner) && u16_list(inner, h.signature_algorithms);
        break;
      case 16:  // application_layer_protocol_negotiation
        ok = alpn_list(data, h.alpn);
        break;
      case 43:  // supported_versions
        ok = d.vec(1, inner) && u16_list(inner, h.supported_versions);
        break;
      default:
        break;
    }
    if (!ok) return make_error("TLS ClientHello extension {} is malformed", type);
  }
  return h;
}

Result<TlsServerHello> parse_server_hello(ByteView body) {
  TlsServerHello h;
  Reader r(body);
  ByteView random, session_id;
  std::uint8_t compression;
  if (!r.u16(h.version) || !r.bytes(32, random) || !r.vec(1, session_id) || !r.u16(h.cipher) ||
      !r.u8(compression))
    return make_error("TLS ServerHello is truncated");
  h.hello_retry_request = std::memcmp(random.data(), kHelloRetryRandom.data(), 32) == 0;
  if (r.done()) return h;
  ByteView extensions;
  if (!r.vec(2, extensions)) return make_error("TLS ServerHello extensions are truncated");
  Reader ext(extensions);
  while (!ext.done()) {
    std::uint16_t type;
    ByteView data;
    if (!ext.u16(type) || !ext.vec(2, data))
      return make_error("TLS ServerHello extension is truncated");
    h.extensions.push_back(type);
    if (type == 43) {
      if (data.size() != 2) return make_error("TLS ServerHello supported_versions is malformed");
      h.selected_version = load_be16(data.data());
    } else if (type == 16) {
      std::vector<std::string> alpn;
      if (!alpn_list(data, alpn) || alpn.size() != 1)
        return make_error("TLS ServerHello ALPN is malformed");
      h.alpn = std::move(alpn[0]);
    }
  }
  return h;
}

Result<std::vector<ByteView>> parse_certificate_list(ByteView body, bool tls13) {
  Reader r(body);
  if (tls13) {
    ByteView context;
    if (!r.vec(1, context)) return make_error("TLS Certificate is truncated");
  }
  ByteView list;
  if (!r.vec(3, list)) return make_error("TLS Certificate is truncated");
  std::vector<ByteView> out;
  Reader entries(list);
  while (!entries.done()) {
    ByteView der, extensions;
    if (!entries.vec(3, der)) return make_error("TLS Certificate entry is truncated");
    if (tls13 && !entries.vec(2, extensions))
      return make_error("TLS Certificate entry is truncated");
    out.push_back(der);
  }
  return out;
}

std::string tls_version_name(std::uint16_t version) {
  switch (version) {
    case 0x0200:
      return "SSL 2.0";
    case 0x0300:
      return "SSL 3.0";
    case 0x0301:
      return "TLS 1.0";
    case 0x0302:
      return "TLS 1.1";
    case 0x0303:
      return "TLS 1.2";
    case 0x0304:
      return "TLS 1.3";
    default:
      break;
  }
  if ((version >> 8) == 0x7f) return fmt::format("TLS 1.3 draft {}", version & 0xff);
  return fmt::format("0x{:04x}", version);
}

std::string tls_alert_name(std::uint8_t description) {
  switch (description) {
    case 0:
      return "close_notify";
    case 10:
      return "unexpected_message";
    case 20:
      return "bad_record_mac";
    case 22:
      return "record_overflow";
    case 40:
      return "handshake_failure";
    case 42:
      return "bad_certificate";
    case 43:
      return "unsupported_certificate";
    case 44:
      return "certificate_revoked";
    case 45:
      return "certificate_expired";
    case 46:
      return "certificate_unknown";
    case 47:
      return "illegal_parameter";
    case 48:
      return "unknown_ca";
    case 49:
      return "access_denied";
    case 50:
      return "decode_error";
    case 51:
      return "decrypt_error";
    case 70:
      return "protocol_version";
    case 71:
      return "insufficient_security";
    case 80:
      return "internal_error";
    case 86:
      return "inappropriate_fallback";
    case 90:
      return "user_canceled";
    case 109:
      return "missing_extension";
    case 110:
      return "unsupported_extension";
    case 112:
      return "unrecognized_name";
    case 113:
      return "bad_certificate_status_response";
    case 115:
      return "unknown_psk_identity";
    case 116:
      return "certificate_required";
    case 120:
      return "no_application_protocol";
    default:
      return fmt::format("alert {}", description);
  }
}

}  // namespace kagami::wire
