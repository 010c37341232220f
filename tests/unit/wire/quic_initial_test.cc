// QUIC Initial protection against the RFCs' own test vectors (RFC 9001 A.1, RFC 9369 A.1),
// and the CRYPTO stream put back together from pieces in any order.
#include "kagami/wire/quic_initial.h"

#include <gtest/gtest.h>

#include "kagami/base/sha256.h"

namespace kagami::wire {
namespace {

std::string hex(const std::uint8_t* p, std::size_t n) { return to_hex(ByteView(p, n)); }

std::string from_hex(std::string_view h) {
  std::string out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  return out;
}

const std::uint8_t kDcid[] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};

TEST(QuicInitial, KeysAreTheRfc9001TestVectors) {
  auto c = quic_initial_keys(kQuicV1, ByteView(kDcid, sizeof kDcid), false);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(hex(c->key.data(), 16), "1f369613dd76d5467730efcbe3b1a22d");
  EXPECT_EQ(hex(c->iv.data(), 12), "fa044b2f42a3fd3b46fb255c");
  EXPECT_EQ(hex(c->hp.data(), 16), "9f50449e04a0e810283a1e9933adedd2");
  auto s = quic_initial_keys(kQuicV1, ByteView(kDcid, sizeof kDcid), true);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(hex(s->key.data(), 16), "cf3a5331653c364c88f0f379b6067e37");
  EXPECT_EQ(hex(s->iv.data(), 12), "0ac1493ca1905853b0bba03e");
  EXPECT_EQ(hex(s->hp.data(), 16), "c206b8d9b9f0f37644430b490eeaa314");
}

TEST(QuicInitial, Version2KeysAreTheRfc9369TestVectors) {
  auto c = quic_initial_keys(kQuicV2, ByteView(kDcid, sizeof kDcid), false);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(hex(c->key.data(), 16), "8b1a0bc121284290a29e0971b5cd045d");
  EXPECT_EQ(hex(c->iv.data(), 12), "91f73e2351d8fa91660e909f");
  EXPECT_EQ(hex(c->hp.data(), 16), "45b95e15235d6f45a6b19cbcb0294ba9");
  auto s = quic_initial_keys(kQuicV2, ByteView(kDcid, sizeof kDcid), true);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(hex(s->key.data(), 16), "82db637861d55e1d011f19ea71d5d2a7");
  EXPECT_EQ(hex(s->iv.data(), 12), "dd13c276499c0249d3310652");
  EXPECT_EQ(hex(s->hp.data(), 16), "edf6d05c83121201b436e16877593c3a");
  EXPECT_FALSE(quic_initial_keys(0x0a0a0a0a, ByteView(kDcid, sizeof kDcid), false).ok());
}

// RFC 9001 A.3: the server's Initial, protected; opened it holds an ACK and a CRYPTO frame
// (the ServerHello).
TEST(QuicInitial, TheRfc9001ServerInitialOpens) {
  const std::string packet = from_hex(
      "cf000000010008f067a5502a4262b5004075c0d95a482cd0991cd25b0aac406a5816b6394100f37a1c69797554"
      "780bb38cc5a99f5ede4cf73c3ec2493a1839b3dbcba3f6ea46c5b7684df3548e7ddeb9c3bf9c73cc3f3bded74b"
      "562bfb19fb84022f8ef4cdd93795d77d06edbb7aaf2f58891850abbdca3d20398c276456cbc42158407dd074ee");
  auto h = parse_quic_long_header(as_bytes(packet));
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ(h->type, QuicPacketType::kInitial);
  EXPECT_EQ(h->size, packet.size());
  auto keys = quic_initial_keys(kQuicV1, ByteView(kDcid, sizeof kDcid), true);
  ASSERT_TRUE(keys.ok());
  auto plain = open_quic_initial(as_bytes(packet), *h, *keys);
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  auto frames = quic_crypto_frames(ByteView(plain->data(), plain->size()));
  ASSERT_TRUE(frames.ok()) << frames.error().message;
  ASSERT_EQ(frames->size(), 1u);
  EXPECT_EQ((*frames)[0].offset, 0u);
  EXPECT_EQ((*frames)[0].bytes[0], 2);  // a ServerHello
  // One flipped byte: the tag no longer matches.
  std::string bad = packet;
  bad[40] ^= 1;
  EXPECT_FALSE(open_quic_initial(as_bytes(bad), *h, *keys).ok());
  // The client's keys do not open the server's packet.
  auto client = quic_initial_keys(kQuicV1, ByteView(kDcid, sizeof kDcid), false);
  EXPECT_FALSE(open_quic_initial(as_bytes(packet), *h, *client).ok());
}

TEST(QuicInitial, HeadersThatDoNotFitAreErrors) {
  EXPECT_FALSE(parse_quic_long_header(as_bytes(std::string("\x40\x01\x02", 3))).ok());
  // A connection ID longer than 20 bytes.
  EXPECT_FALSE(
      parse_quic_long_header(as_bytes(std::string("\xc0\0\0\0\1\x15", 6) + std::string(40, 'x')))
          .ok());
  // A Length beyond the datagram.
  EXPECT_FALSE(
      parse_quic_long_header(as_bytes(std::string("\xc0\0\0\0\1\0\0\0\x44\x00", 10))).ok());
}

TEST(QuicCryptoStream, PiecesInAnyOrderMakeOneStream) {
  QuicCryptoStream s(32);
  s.add(4, as_bytes("4567"));
  EXPECT_EQ(s.contiguous().size(), 0u);
  s.add(10, as_bytes("abc"));
  s.add(0, as_bytes("0123"));
  EXPECT_EQ(as_chars(s.contiguous()), "01234567");
  s.add(6, as_bytes("67891"));  // overlaps both sides: fills the hole, the first bytes stay
  EXPECT_EQ(as_chars(s.contiguous()), "0123456789abc");
  s.add(30, as_bytes("xyz"));  // past the bound: cut and flagged
  EXPECT_TRUE(s.truncated());
  s.add(1000000, as_bytes("far"));
  EXPECT_EQ(as_chars(s.contiguous()), "0123456789abc");
}

}  // namespace
}  // namespace kagami::wire
