#include "kagami/base/sha256.h"

#include <gtest/gtest.h>

namespace kagami {
namespace {

TEST(Sha256, MatchesKnownVectors) {
  EXPECT_EQ(to_hex(Sha256::of(as_bytes(""))),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(to_hex(Sha256::of(as_bytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, IncrementalEqualsOneShot) {
  Sha256 h;
  h.update(as_bytes("a"));
  h.update(as_bytes("bc"));
  EXPECT_EQ(to_hex(h.finish()), to_hex(Sha256::of(as_bytes("abc"))));
}

TEST(Sha256, HexRoundTripAndErrors) {
  const auto d = Sha256::of(as_bytes("abc"));
  EXPECT_EQ(sha256_from_hex(to_hex(d)).value(), d);
  EXPECT_FALSE(sha256_from_hex("abc").ok());
  EXPECT_FALSE(sha256_from_hex(std::string(64, 'z')).ok());
}

}  // namespace
}  // namespace kagami
