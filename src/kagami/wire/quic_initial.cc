#include "kagami/wire/quic_initial.h"

#include <algorithm>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

namespace kagami::wire {
namespace {

// RFC 9000 16: the variable-length integer at `at`, which moves past it; false when it does
// not fit.
bool read_varint(ByteView b, std::size_t& at, std::uint64_t& out) {
  if (at >= b.size()) return false;
  const std::size_t len = std::size_t{1} << (b[at] >> 6);
  if (b.size() - at < len) return false;
  out = b[at] & 0x3f;
  for (std::size_t i = 1; i < len; ++i) out = (out << 8) | b[at + i];
  at += len;
  return true;
}

// The Initial salts (RFC 9001 5.2, RFC 9369 3.3.1, draft-ietf-quic-tls-29 5.2).
const std::uint8_t kSaltV1[] = {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
                                0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a};
const std::uint8_t kSaltV2[] = {0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
                                0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9};
const std::uint8_t kSaltDraft29[] = {0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97,
                                     0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99};

bool hkdf(int mode, ByteView key, ByteView salt, ByteView info, std::uint8_t* out,
          std::size_t out_len) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  if (kdf == nullptr) return false;
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  EVP_KDF_free(kdf);
  if (ctx == nullptr) return false;
  char digest[] = "SHA256";
  OSSL_PARAM params[6];
  std::size_t n = 0;
  params[n++] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
  params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
  params[n++] = OSSL_PARAM_construct_octet_string(
      OSSL_KDF_PARAM_KEY, const_cast<std::uint8_t*>(key.data()), key.size());
  if (!salt.empty())
    params[n++] = OSSL_PARAM_construct_octet_string(
        OSSL_KDF_PARAM_SALT, const_cast<std::uint8_t*>(salt.data()), salt.size());
  if (!info.empty())
    params[n++] = OSSL_PARAM_construct_octet_string(
        OSSL_KDF_PARAM_INFO, const_cast<std::uint8_t*>(info.data()), info.size());
  params[n] = OSSL_PARAM_construct_end();
  const bool ok = EVP_KDF_derive(ctx, out, out_len, params) == 1;
  EVP_KDF_CTX_free(ctx);
  return ok;
}

// TLS 1.3's HKDF-Expand-Label with an empty context (RFC 8446 7.1).
bool expand_label(ByteView secret, std::string_view label, std::uint8_t* out, std::size_t len) {
  std::vector<std::uint8_t> info;
  info.push_back(static_cast<std::uint8_t>(len >> 8));
  info.push_back(static_cast<std::uint8_t>(len));
  const std::string full = "tls13 " + std::string(label);
  info.push_back(static_cast<std::uint8_t>(full.size()));
  info.insert(info.end(), full.begin(), full.end());
  info.push_back(0);
  return hkdf(EVP_KDF_HKDF_MODE_EXPAND_ONLY, secret, {}, info, out, len);
}

}  // namespace

bool quic_version_known(std::uint32_t v) {
  return v == kQuicV1 || v == kQuicV2 || v == kQuicDraft29;
}

Result<QuicLongHeader> parse_quic_long_header(ByteView d) {
  if (d.size() < 7 || (d[0] & 0x80) == 0) return make_error("quic.not_long_header");
  QuicLongHeader h;
  h.version = load_be32(d.data() + 1);
  std::size_t at = 5;
  const std::size_t dcid_len = d[at++];
  if (dcid_len > 20 || d.size() < at + dcid_len + 1) return make_error("quic.bad_cid");
  h.dcid.assign(d.begin() + static_cast<std::ptrdiff_t>(at),
                d.begin() + static_cast<std::ptrdiff_t>(at + dcid_len));
  at += dcid_len;
  const std::size_t scid_len = d[at++];
  if (scid_len > 20 || d.size() < at + scid_len) return make_error("quic.bad_cid");
  h.scid.assign(d.begin() + static_cast<std::ptrdiff_t>(at),
                d.begin() + static_cast<std::ptrdiff_t>(at + scid_len));
  at += scid_len;
  if (h.version == 0) {  // the rest is the list of versions the server speaks
    h.type = QuicPacketType::kVersionNegotiation;
    h.size = d.size();
    return h;
  }
  const unsigned bits = (d[0] >> 4) & 3;
  static constexpr QuicPacketType kV1[] = {QuicPacketType::kInitial, QuicPacketType::kZeroRtt,
                                           QuicPacketType::kHandshake, QuicPacketType::kRetry};
  static constexpr QuicPacketType kV2[] = {QuicPacketType::kRetry, QuicPacketType::kInitial,
                                           QuicPacketType::kZeroRtt, QuicPacketType::kHandshake};
  h.type = h.version == kQuicV2 ? kV2[bits] : kV1[bits];
  if (h.type == QuicPacketType::kRetry) {  // a token and an integrity tag to the end
    h.size = d.size();
    return h;
  }
  if (h.type == QuicPacketType::kInitial) {
    std::uint64_t token_len = 0;
    if (!read_varint(d, at, token_len) || d.size() - at < token_len)
      return make_error("quic.bad_token");
    at += static_cast<std::size_t>(token_len);
  }
  std::uint64_t length = 0;
  if (!read_varint(d, at, length) || d.size() - at < length) return make_error("quic.bad_length");
  h.pn_offset = at;
  h.size = at + static_cast<std::size_t>(length);
  return h;
}

Result<QuicKeys> quic_initial_keys(std::uint32_t version, ByteView client_dcid, bool server) {
  ByteView salt;
  if (version == kQuicV1)
    salt = ByteView(kSaltV1, sizeof kSaltV1);
  else if (version == kQuicV2)
    salt = ByteView(kSaltV2, sizeof kSaltV2);
  else if (version == kQuicDraft29)
    salt = ByteView(kSaltDraft29, sizeof kSaltDraft29);
  else
    return make_error("quic.unknown_version");
  std::uint8_t initial[32], side[32];
  if (!hkdf(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, client_dcid, salt, {}, initial, sizeof initial) ||
      !expand_label(ByteView(initial, 32), server ? "server in" : "client in", side, 32))
    return make_error("quic.kdf");
  const bool v2 = version == kQuicV2;
  QuicKeys k;
  const ByteView secret(side, 32);
  if (!expand_label(secret, v2 ? "quicv2 key" : "quic key", k.key.data(), k.key.size()) ||
      !expand_label(secret, v2 ? "quicv2 iv" : "quic iv", k.iv.data(), k.iv.size()) ||
      !expand_label(secret, v2 ? "quicv2 hp" : "quic hp", k.hp.data(), k.hp.size()))
    return make_error("quic.kdf");
  return k;
}

Result<std::vector<std::uint8_t>> open_quic_initial(ByteView packet, const QuicLongHeader& h,
                                                    const QuicKeys& keys) {
  // Header protection (RFC 9001 5.4): a mask from AES-ECB over 16 bytes sampled four bytes
  // after the packet number's start, whose length the mask itself hides.
  if (h.size > packet.size() || h.pn_offset + 4 + 16 > h.size) return make_error("quic.short");
  std::uint8_t mask[32];
  int out_len = 0;
  EVP_CIPHER_CTX* ecb = EVP_CIPHER_CTX_new();
  const bool masked =
      ecb != nullptr &&
      EVP_EncryptInit_ex(ecb, EVP_aes_128_ecb(), nullptr, keys.hp.data(), nullptr) == 1 &&
      EVP_EncryptUpdate(ecb, mask, &out_len, packet.data() + h.pn_offset + 4, 16) == 1;
  EVP_CIPHER_CTX_free(ecb);
  if (!masked) return make_error("quic.header_protection");
  std::vector<std::uint8_t> header(packet.begin(),
                                   packet.begin() + static_cast<std::ptrdiff_t>(h.pn_offset + 4));
  header[0] ^= mask[0] & 0x0f;
  const std::size_t pn_len = (header[0] & 3) + 1;
  header.resize(h.pn_offset + pn_len);
  std::uint64_t pn = 0;
  for (std::size_t i = 0; i < pn_len; ++i) {
    header[h.pn_offset + i] ^= mask[1 + i];
    pn = (pn << 8) | header[h.pn_offset + i];
  }
  // AEAD (RFC 9001 5.3): the nonce is the IV with the packet number xored into its end; the
  // header is the associated data; the last 16 bytes are the tag.
  const std::size_t start = h.pn_offset + pn_len;
  if (h.size < start + 16) return make_error("quic.short");
  const std::size_t cipher_len = h.size - start - 16;
  std::array<std::uint8_t, 12> nonce = keys.iv;
  for (std::size_t i = 0; i < 8; ++i) nonce[11 - i] ^= static_cast<std::uint8_t>(pn >> (8 * i));
  std::vector<std::uint8_t> plain(cipher_len);
  EVP_CIPHER_CTX* gcm = EVP_CIPHER_CTX_new();
  int len = 0;
  bool ok =
      gcm != nullptr &&
      EVP_DecryptInit_ex(gcm, EVP_aes_128_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(gcm, EVP_CTRL_GCM_SET_IVLEN, 12, nullptr) == 1 &&
      EVP_DecryptInit_ex(gcm, nullptr, nullptr, keys.key.data(), nonce.data()) == 1 &&
      EVP_DecryptUpdate(gcm, nullptr, &len, header.data(), static_cast<int>(header.size())) == 1 &&
      EVP_DecryptUpdate(gcm, plain.data(), &len, packet.data() + start,
                        static_cast<int>(cipher_len)) == 1 &&
      EVP_CIPHER_CTX_ctrl(gcm, EVP_CTRL_GCM_SET_TAG, 16,
                          const_cast<std::uint8_t*>(packet.data() + start + cipher_len)) == 1;
  std::uint8_t tail[16];
  ok = ok && EVP_DecryptFinal_ex(gcm, tail, &len) == 1;
  EVP_CIPHER_CTX_free(gcm);
  if (!ok) return make_error("quic.decrypt");  // not this connection's keys, or damaged
  return plain;
}

Result<std::vector<QuicCrypto>> quic_crypto_frames(ByteView f) {
  std::vector<QuicCrypto> out;
  std::size_t at = 0;
  while (at < f.size()) {
    std::uint64_t type = 0;
    if (!read_varint(f, at, type)) return make_error("quic.bad_frame");
    switch (type) {
      case 0x00:  // PADDING
      case 0x01:  // PING
        break;
      case 0x02:
      case 0x03: {  // ACK
        std::uint64_t largest, delay, count, first;
        if (!read_varint(f, at, largest) || !read_varint(f, at, delay) ||
            !read_varint(f, at, count) || !read_varint(f, at, first))
          return make_error("quic.bad_frame");
        for (std::uint64_t i = 0; i < count * 2 + (type == 3 ? 3 : 0); ++i) {
          std::uint64_t v;
          if (!read_varint(f, at, v)) return make_error("quic.bad_frame");
        }
        break;
      }
      case 0x06: {  // CRYPTO
        std::uint64_t offset, len;
        if (!read_varint(f, at, offset) || !read_varint(f, at, len) || f.size() - at < len)
          return make_error("quic.bad_frame");
        out.push_back(QuicCrypto{offset, f.subspan(at, static_cast<std::size_t>(len))});
        at += static_cast<std::size_t>(len);
        break;
      }
      case 0x1c:
      case 0x1d: {  // CONNECTION_CLOSE: error code, [frame type], reason
        std::uint64_t code, frame_type = 0, len;
        if (!read_varint(f, at, code) || (type == 0x1c && !read_varint(f, at, frame_type)) ||
            !read_varint(f, at, len) || f.size() - at < len)
          return make_error("quic.bad_frame");
        at += static_cast<std::size_t>(len);
        break;
      }
      default:
        return make_error("quic.frame_not_allowed_in_initial");
    }
  }
  return out;
}

void QuicCryptoStream::add(std::uint64_t offset, ByteView bytes) {
  if (offset >= max_bytes_) {
    truncated_ = true;
    return;
  }
  std::size_t n = bytes.size();
  if (offset + n > max_bytes_) {
    n = max_bytes_ - static_cast<std::size_t>(offset);
    truncated_ = true;
  }
  const std::size_t end = static_cast<std::size_t>(offset) + n;
  if (data_.size() < end) {
    data_.resize(end);
    have_.resize(end, false);
  }
  // Bytes already held stay: a retransmission must repeat them, and one that does not is not
  // allowed to rewrite what was read: the first copy wins.
  for (std::size_t i = static_cast<std::size_t>(offset); i < end; ++i) {
    if (have_[i]) continue;
    data_[i] = bytes[i - static_cast<std::size_t>(offset)];
    have_[i] = true;
  }
  while (contiguous_ < have_.size() && have_[contiguous_]) ++contiguous_;
}

}  // namespace kagami::wire
