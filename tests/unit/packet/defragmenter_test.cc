#include "kagami/packet/defragmenter.h"

#include <algorithm>
#include <string>

#include <gtest/gtest.h>

#include "kagami/packet/decoder.h"
#include "kagami/packet/link_type.h"

#include "support/packets.h"

namespace kagami::packet {
namespace {

using namespace kagami::test;

const std::string kBody = [] {
  std::string s;
  for (int i = 0; i < 120; ++i) s += "fragment-" + std::to_string(i) + ";";
  return s;
}();

struct Fragment {
  std::uint32_t offset;
  std::uint32_t len;
  bool more;
};

// Splits `l4` (a UDP datagram) at the given pieces; each becomes one Ethernet frame.
std::vector<Bytes> frames_v4(const Bytes& l4, const std::vector<Fragment>& parts,
                             std::uint16_t id = 42) {
  std::vector<Bytes> out;
  for (const auto& f : parts) {
    const Bytes piece(l4.begin() + f.offset, l4.begin() + f.offset + f.len);
    out.push_back(eth(ipv4(ip("10.0.0.1"), ip("10.0.0.2"), 17, piece, id, f.offset, f.more)));
  }
  return out;
}

std::vector<Bytes> frames_v6(const Bytes& l4, const std::vector<Fragment>& parts,
                             std::uint32_t id = 42) {
  std::vector<Bytes> out;
  for (const auto& f : parts) {
    const Bytes piece(l4.begin() + f.offset, l4.begin() + f.offset + f.len);
    out.push_back(eth(ipv6(ip("2001:db8::1"), ip("2001:db8::2"), 44,
                           ipv6_fragment(17, f.offset, f.more, id, piece))));
  }
  return out;
}

// Feeds frames in order; returns the rebuilt datagram's UDP payload ("" if none completed).
std::string feed(Defragmenter& d, const std::vector<Bytes>& frames, TimeNs t0 = 0,
                 bool* conflict = nullptr, std::size_t* pieces = nullptr) {
  std::string got;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    Packet p;
    const auto& f = frames[i];
    EXPECT_EQ(Decoder::decode(kLinkEthernet, t0 + static_cast<TimeNs>(i),
                              ByteView(f.data(), f.size()), static_cast<std::uint32_t>(f.size()), p)
                  .status,
              DecodeStatus::kOk);
    EXPECT_TRUE(p.is_fragment);
    if (const auto* done = d.add(p, PacketLocation{1, i * 100})) {
      Packet q = p;
      EXPECT_EQ(Decoder::decode_ip(done->ip_packet, 0, q).status, DecodeStatus::kOk);
      EXPECT_FALSE(q.is_fragment);
      EXPECT_EQ(q.src_port, 1234);
      got = std::string(as_chars(q.payload));
      if (conflict) *conflict = done->overlap_conflict;
      if (pieces) *pieces = done->pieces.size();
    }
  }
  return got;
}

const Bytes kDatagram = udp(1234, 53, kBody);
const std::uint32_t kLen = static_cast<std::uint32_t>(kDatagram.size());

TEST(Defragmenter, Ipv4InOrder) {
  Defragmenter d(DefragLimits{});
  std::size_t pieces = 0;
  EXPECT_EQ(
      feed(d, frames_v4(kDatagram, {{0, 496, true}, {496, 496, true}, {992, kLen - 992, false}}), 0,
           nullptr, &pieces),
      kBody);
  EXPECT_EQ(pieces, 3u);  // every fragment's archive location is kept
  EXPECT_EQ(d.datagrams_held(), 0u);
  EXPECT_EQ(d.bytes_held(), 0u);
}

TEST(Defragmenter, Ipv4OutOfOrderAndLastFirst) {
  Defragmenter d(DefragLimits{});
  EXPECT_EQ(
      feed(d, frames_v4(kDatagram, {{992, kLen - 992, false}, {0, 496, true}, {496, 496, true}})),
      kBody);
}

TEST(Defragmenter, Ipv6OutOfOrder) {
  Defragmenter d(DefragLimits{});
  EXPECT_EQ(
      feed(d, frames_v6(kDatagram, {{504, 504, true}, {1008, kLen - 1008, false}, {0, 504, true}})),
      kBody);
}

TEST(Defragmenter, DuplicateFragmentIsAnOverlapWithoutConflict) {
  Defragmenter d(DefragLimits{});
  bool conflict = true;
  EXPECT_EQ(
      feed(d, frames_v4(kDatagram, {{0, 496, true}, {0, 496, true}, {496, kLen - 496, false}}), 0,
           &conflict),
      kBody);
  EXPECT_FALSE(conflict);
  EXPECT_EQ(d.counters().overlaps.get(), 1u);
  EXPECT_EQ(d.counters().overlap_conflicts.get(), 0u);
}

TEST(Defragmenter, OverlapWithDifferentDataKeepsFirstAndFlags) {
  Defragmenter d(DefragLimits{});
  std::vector<Bytes> frames = frames_v4(kDatagram, {{0, 496, true}});
  Bytes evil = kDatagram;
  std::fill(evil.begin() + 100, evil.begin() + 496, 'E');
  auto second = frames_v4(evil, {{8, 488, true}, {496, kLen - 496, false}});
  frames.insert(frames.end(), second.begin(), second.end());
  bool conflict = false;
  EXPECT_EQ(feed(d, frames, 0, &conflict), kBody);  // the first copy survives
  EXPECT_TRUE(conflict);
  EXPECT_EQ(d.counters().overlap_conflicts.get(), 1u);
}

TEST(Defragmenter, IncompleteDatagramTimesOutInPacketTime) {
  Defragmenter d(DefragLimits{});
  EXPECT_EQ(feed(d, frames_v4(kDatagram, {{0, 496, true}})), "");
  EXPECT_EQ(d.datagrams_held(), 1u);
  d.expire(29 * kNsPerSec);
  EXPECT_EQ(d.datagrams_held(), 1u);
  d.expire(31 * kNsPerSec);
  EXPECT_EQ(d.datagrams_held(), 0u);
  EXPECT_EQ(d.bytes_held(), 0u);
  EXPECT_EQ(d.counters().timed_out.get(), 1u);
}

TEST(Defragmenter, MemoryBoundEvictsOldestDatagrams) {
  DefragLimits limits;
  limits.max_bytes = 1500;
  Defragmenter d(limits);
  for (std::uint16_t id = 1; id <= 10; ++id) feed(d, frames_v4(kDatagram, {{0, 496, true}}, id));
  EXPECT_LE(d.bytes_held(), limits.max_bytes);
  EXPECT_GT(d.counters().evicted.get(), 0u);
  // The newest one is still there and completes.
  EXPECT_EQ(feed(d, frames_v4(kDatagram, {{496, kLen - 496, false}}, 10)), kBody);
}

TEST(Defragmenter, TooManyFragmentsIsDropped) {
  DefragLimits limits;
  limits.max_fragments = 4;
  Defragmenter d(limits);
  std::vector<Fragment> parts;
  for (std::uint32_t off = 0; off + 8 < kLen; off += 8) parts.push_back({off, 8, true});
  feed(d, frames_v4(kDatagram, parts));
  EXPECT_GE(d.counters().too_many_fragments.get(), 1u);
  EXPECT_EQ(d.counters().completed.get(), 0u);
  EXPECT_LE(d.datagrams_held(), 1u);  // dropped ones free their memory
}

TEST(Defragmenter, DatagramOver64KiBIsRefused) {
  Defragmenter d(DefragLimits{});
  // Offset 65528 + 100 bytes would rebuild to more than 65535 ("ping of death").
  const Bytes big(100, 'x');
  const Bytes f = eth(ipv4(ip("10.0.0.1"), ip("10.0.0.2"), 17, big, 5, 65528, false));
  Packet p;
  ASSERT_EQ(Decoder::decode(kLinkEthernet, 0, ByteView(f.data(), f.size()),
                            static_cast<std::uint32_t>(f.size()), p)
                .status,
            DecodeStatus::kOk);
  EXPECT_EQ(d.add(p, {}), nullptr);
  EXPECT_EQ(d.counters().oversize.get(), 1u);
  EXPECT_EQ(d.datagrams_held(), 0u);
}

TEST(Defragmenter, NonFinalFragmentNotMultipleOfEightIsMalformed) {
  Defragmenter d(DefragLimits{});
  feed(d, frames_v4(kDatagram, {{0, 500, true}}));
  EXPECT_EQ(d.counters().malformed.get(), 1u);
}

TEST(Defragmenter, SameIdFromDifferentHostsDoesNotMix) {
  Defragmenter d(DefragLimits{});
  auto a = frames_v4(kDatagram, {{0, 496, true}});
  const Bytes piece(kDatagram.begin() + 496, kDatagram.end());
  a.push_back(eth(ipv4(ip("10.9.9.9"), ip("10.0.0.2"), 17, piece, 42, 496, false)));
  EXPECT_EQ(feed(d, a), "");
  EXPECT_EQ(d.datagrams_held(), 2u);
}

}  // namespace
}  // namespace kagami::packet
