#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "kagami/base/byte_view.h"
#include "kagami/base/result.h"

namespace kagami::wire {

// QUIC's Initial packets, which anyone on the path can open (RFC 9001 5.2): their keys come
// from the connection ID the client chose and a salt fixed per version. They carry the TLS
// ClientHello and ServerHello in CRYPTO frames, so a passive reader learns the name, the
// protocols and the fingerprints of a connection it cannot otherwise read.

inline constexpr std::uint32_t kQuicV1 = 0x00000001;
inline constexpr std::uint32_t kQuicV2 = 0x6b3343cf;       // RFC 9369
inline constexpr std::uint32_t kQuicDraft29 = 0xff00001d;  // what h3-29 clients still send

// Long-header packet types, in version 1's numbering (version 2 numbers them differently).
enum class QuicPacketType : std::uint8_t {
  kInitial,
  kZeroRtt,
  kHandshake,
  kRetry,
  kVersionNegotiation,
};

// A version whose Initial packets this code can open.
bool quic_version_known(std::uint32_t version);

struct QuicLongHeader {
  std::uint32_t version = 0;
  QuicPacketType type = QuicPacketType::kInitial;
  std::vector<std::uint8_t> dcid, scid;
  std::size_t pn_offset = 0;  // Initial, 0-RTT, Handshake: where the packet number begins
  std::size_t size = 0;       // bytes of the datagram this packet takes; coalesced ones follow
};

// The long header at the start of `datagram` (RFC 9000 17.2), protection not yet removed. An
// error for a short header or one that does not fit.
Result<QuicLongHeader> parse_quic_long_header(ByteView datagram);

struct QuicKeys {
  std::array<std::uint8_t, 16> key{}, hp{};
  std::array<std::uint8_t, 12> iv{};
};

// The Initial keys of one side (`server`: the server's packets), from the Destination
// Connection ID of the client's first Initial (or of its Initial after a Retry).
Result<QuicKeys> quic_initial_keys(std::uint32_t version, ByteView client_dcid, bool server);

// Removes header protection and AEAD from one Initial packet (`packet`: its `size` bytes);
// the plaintext frames.
Result<std::vector<std::uint8_t>> open_quic_initial(ByteView packet, const QuicLongHeader& header,
                                                    const QuicKeys& keys);

// CRYPTO frames of an Initial's plaintext, in the order sent (offset, bytes); PADDING, PING,
// ACK and CONNECTION_CLOSE are skipped. An error for a frame an Initial may not carry.
struct QuicCrypto {
  std::uint64_t offset = 0;
  ByteView bytes;
};
Result<std::vector<QuicCrypto>> quic_crypto_frames(ByteView frames);

// One direction's CRYPTO stream put back in order from frames that may come out of order,
// repeated or overlapping, across packets. Bounded: bytes beyond `max_bytes` are dropped.
class QuicCryptoStream {
 public:
  explicit QuicCryptoStream(std::size_t max_bytes = 64u << 10) : max_bytes_(max_bytes) {}
  void add(std::uint64_t offset, ByteView bytes);
  // The bytes from offset 0 with no hole.
  ByteView contiguous() const { return ByteView(data_.data(), contiguous_); }
  bool truncated() const { return truncated_; }

 private:
  std::size_t max_bytes_;
  std::vector<std::uint8_t> data_;
  std::vector<bool> have_;
  std::size_t contiguous_ = 0;
  bool truncated_ = false;
};

}  // namespace kagami::wire
