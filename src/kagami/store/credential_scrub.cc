#include "kagami/store/credential_scrub.h"

#include <algorithm>
#include <span>

#include "kagami/packet/decoder.h"

namespace kagami::store {
namespace {

constexpr std::size_t kMaxConnections = 1u << 16;  // an export names at most a page of sessions
constexpr std::size_t kMaxRanges = 4096;           // masked runs remembered per side
constexpr std::uint8_t kSyn = 0x02;

// The one's-complement sum of bytes that sit at an even (or odd) offset of the checksummed
// data, as 16-bit words.
std::uint32_t sum_at(const std::uint8_t* p, std::size_t n, bool odd) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const bool high = ((i + (odd ? 1 : 0)) % 2) == 0;
    sum += high ? (std::uint32_t{p[i]} << 8) : p[i];
    if (sum > 0xffffu) sum = (sum & 0xffffu) + (sum >> 16);
  }
  return sum;
}

std::uint16_t fold(std::uint32_t s) {
  while (s > 0xffffu) s = (s & 0xffffu) + (s >> 16);
  return static_cast<std::uint16_t>(s);
}

// RFC 1624 (3): HC' = ~(~HC + ~m + m'), with m and m' the sums of the old and the new bytes.
std::uint16_t updated_checksum(std::uint16_t hc, std::uint32_t old_sum, std::uint32_t new_sum) {
  std::uint32_t s = static_cast<std::uint16_t>(~hc);
  s += static_cast<std::uint16_t>(~fold(old_sum));
  s += fold(new_sum);
  return static_cast<std::uint16_t>(~fold(s));
}

bool before(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(a - b) < 0; }

}  // namespace

std::size_t CredentialScrub::scrub(std::vector<std::uint8_t>& frame, std::uint32_t wire_len) {
  packet::Packet p;
  const ByteView view(frame.data(), frame.size());
  if (packet::Decoder::decode(linktype_, 0, view, wire_len, p).status !=
          packet::DecodeStatus::kOk ||
      !p.has_l4 || p.ip_proto != 6 || p.is_fragment)
    return 0;
  const bool forward = std::tie(p.src_ip, p.src_port) < std::tie(p.dst_ip, p.dst_port);
  const Key key = forward ? Key{p.src_ip, p.src_port, p.dst_ip, p.dst_port}
                          : Key{p.dst_ip, p.dst_port, p.src_ip, p.src_port};
  auto it = connections_.find(key);
  if (it == connections_.end()) {
    if (connections_.size() >= kMaxConnections) connections_.clear();
    it = connections_.emplace(key, std::make_unique<Connection>()).first;
  }
  Connection& c = *it->second;
  const int dir = forward ? 0 : 1;
  Side& side = c.sides[dir];
  const std::uint32_t seq = p.tcp_seq + ((p.tcp_flags & kSyn) ? 1 : 0);
  if (p.payload.empty()) {
    if (!side.known) {
      side.known = true;
      side.next = seq;
    }
    return 0;
  }
  const std::size_t at = static_cast<std::size_t>(p.payload.data() - frame.data());
  std::span<std::uint8_t> payload(frame.data() + at, p.payload.size());
  std::vector<std::uint8_t>& before_mask = original_;
  before_mask.assign(payload.begin(), payload.end());
  std::size_t masked = 0;
  if (!side.known || seq == side.next) {
    masked = c.masker.feed(dir, payload);
  } else {
    // Out of order or sent again: the bytes masked before are masked again, and the segment
    // is read on its own as well (it may hold a line the stream has not seen yet).
    for (const Range& r : side.masked) {
      // The range's overlap with this segment, as offsets into it.
      const std::int64_t from = std::max<std::int64_t>(0, static_cast<std::int32_t>(r.begin - seq));
      const std::int64_t to = std::min<std::int64_t>(static_cast<std::int64_t>(payload.size()),
                                                     static_cast<std::int32_t>(r.end - seq));
      for (std::int64_t i = from; i < to; ++i) {
        if (payload[static_cast<std::size_t>(i)] == '*') continue;
        payload[static_cast<std::size_t>(i)] = '*';
        ++masked;
      }
    }
    wire::CredentialMasker alone;
    masked += alone.feed(dir, payload);
    if (before(side.next, seq)) c.masker.gap(dir);  // bytes are missing before this one
  }
  const bool whole = p.payload.size() >= p.payload_wire_len;
  if (!side.known || !before(seq + static_cast<std::uint32_t>(payload.size()), side.next)) {
    side.known = true;
    side.next = seq + static_cast<std::uint32_t>(payload.size());
    if (!whole) c.masker.gap(dir);  // the capture cut this segment short
  }
  if (masked == 0) return 0;
  // Remember where, by sequence number, and mend the checksum.
  for (std::size_t i = 0; i < payload.size();) {
    if (payload[i] == before_mask[i]) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < payload.size() && payload[j] != before_mask[j]) ++j;
    if (side.masked.size() < kMaxRanges)
      side.masked.push_back(
          Range{seq + static_cast<std::uint32_t>(i), seq + static_cast<std::uint32_t>(j)});
    i = j;
  }
  const std::size_t checksum_at = p.l4_offset + 16;
  if (checksum_at + 2 <= frame.size()) {
    const bool odd = ((at - p.l4_offset) % 2) == 1;
    const std::uint16_t hc =
        static_cast<std::uint16_t>((frame[checksum_at] << 8) | frame[checksum_at + 1]);
    const std::uint16_t fixed =
        updated_checksum(hc, sum_at(before_mask.data(), before_mask.size(), odd),
                         sum_at(payload.data(), payload.size(), odd));
    frame[checksum_at] = static_cast<std::uint8_t>(fixed >> 8);
    frame[checksum_at + 1] = static_cast<std::uint8_t>(fixed);
  }
  return masked;
}

}  // namespace kagami::store
