// Connections announced by one session for another (analyzers::ExpectedConnections): each is
// claimed once, by its own transport and from either end, and what nothing claims is dropped
// by age and by count, counted.
#include <gtest/gtest.h>

#include "kagami/recorder/shared_state.h"

namespace kagami::recorder {
namespace {

using analyzers::Expectation;

const IpAddress kServer = IpAddress::parse("198.51.100.2").value();
const IpAddress kClient = IpAddress::parse("192.0.2.1").value();
constexpr std::uint8_t kTcp = 6, kUdp = 17;

Expectation announced(std::uint64_t parent, TimeNs ts) {
  return Expectation{"ftp-data", parent, kTcp, ts, nullptr};
}

TEST(ExpectedConnections, AConnectionFulfilsItsAnnouncementOnceFromEitherEnd) {
  SharedExpectedConnections expected;
  expected.expect(kServer, 20000, announced(1, 0));
  expected.expect(kClient, 30000, announced(7, 0));
  // Another port, another transport: not it.
  EXPECT_FALSE(expected.claim(kTcp, kClient, 50001, kServer, 20001, 0));
  EXPECT_FALSE(expected.claim(kUdp, kClient, 50001, kServer, 20000, 0));
  auto passive = expected.claim(kTcp, kClient, 50001, kServer, 20000, 0);
  ASSERT_TRUE(passive);
  EXPECT_EQ(passive->parent_session, 1u);
  EXPECT_EQ(passive->analyzer, "ftp-data");
  EXPECT_FALSE(expected.claim(kTcp, kClient, 50002, kServer, 20000, 0));  // once
  // An active-mode data connection comes from the server to the listening client.
  auto active = expected.claim(kTcp, kServer, 20, kClient, 30000, 0);
  ASSERT_TRUE(active);
  EXPECT_EQ(active->parent_session, 7u);
  EXPECT_EQ(expected.claimed(), 2u);
}

TEST(ExpectedConnections, ALaterAnnouncementOfTheSamePortReplacesTheEarlier) {
  SharedExpectedConnections expected;
  expected.expect(kServer, 20000, announced(1, 0));
  expected.expect(kServer, 20000, announced(2, 5));
  auto e = expected.claim(kTcp, kClient, 50001, kServer, 20000, 10);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->parent_session, 2u);
  EXPECT_FALSE(expected.claim(kTcp, kClient, 50002, kServer, 20000, 10));
  EXPECT_EQ(expected.expired() + expected.evicted(), 0u);  // a replacement is neither
}

TEST(ExpectedConnections, WhatNothingClaimsIsDroppedByAgeAndByCountAndCounted) {
  constexpr TimeNs kAge = 60 * kNsPerSec;
  SharedExpectedConnections expected(2, kAge);
  expected.expect(kServer, 20000, announced(1, 0));
  expected.expect(kServer, 20001, announced(1, 30 * kNsPerSec));
  // Beyond two, the oldest goes.
  expected.expect(kServer, 20002, announced(1, 40 * kNsPerSec));
  EXPECT_EQ(expected.evicted(), 1u);
  EXPECT_FALSE(expected.claim(kTcp, kClient, 50001, kServer, 20000, 41 * kNsPerSec));
  // Past its age (packet time), an announcement no longer matches a new connection.
  EXPECT_FALSE(expected.claim(kTcp, kClient, 50001, kServer, 20001, 95 * kNsPerSec));
  EXPECT_EQ(expected.expired(), 1u);
  EXPECT_TRUE(expected.claim(kTcp, kClient, 50001, kServer, 20002, 95 * kNsPerSec));
}

}  // namespace
}  // namespace kagami::recorder
