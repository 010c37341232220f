#include "kagami/base/location_codec.h"

#include <gtest/gtest.h>

namespace kagami {
namespace {

TEST(LocationCodec, RoundTripsAcrossFiles) {
  LocationEncoder e;
  const std::vector<PacketLocation> in = {{1, 24}, {1, 100},   {1, 1600},
                                          {2, 24}, {2, 90000}, {7, 1ull << 40}};
  for (auto l : in) e.add(l);
  EXPECT_EQ(e.count(), in.size());
  const auto bytes = e.take();
  std::vector<PacketLocation> out;
  ASSERT_TRUE(decode_locations(bytes.data(), bytes.size(), out));
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(out[i].file_id, in[i].file_id);
    EXPECT_EQ(out[i].offset, in[i].offset);
  }
}

TEST(LocationCodec, IsCompactForConsecutivePackets) {
  LocationEncoder e;
  for (int i = 0; i < 1000; ++i) e.add({3, 24 + static_cast<std::uint64_t>(i) * 60});
  EXPECT_LT(e.size_bytes(), 1000u * 2 + 8);  // about two bytes a packet
}

TEST(LocationCodec, TakeStartsASelfContainedChunk) {
  LocationEncoder e;
  e.add({1, 1000});
  (void)e.take();
  e.add({1, 1100});  // must not be encoded relative to the previous chunk
  const auto bytes = e.take();
  std::vector<PacketLocation> out;
  ASSERT_TRUE(decode_locations(bytes.data(), bytes.size(), out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].offset, 1100u);
}

TEST(LocationCodec, RejectsCorruptBytes) {
  std::vector<PacketLocation> out;
  const std::uint8_t delta_first[] = {0x02};  // a delta before any file marker
  EXPECT_FALSE(decode_locations(delta_first, sizeof delta_first, out));
  const std::uint8_t truncated[] = {0x03, 0x80};
  EXPECT_FALSE(decode_locations(truncated, sizeof truncated, out));
}

}  // namespace
}  // namespace kagami
