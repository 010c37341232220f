#include "kagami/mirror/connection_notes.h"

#include <gtest/gtest.h>

namespace kagami::mirror {
namespace {

records::ProxiedConnection note(std::uint16_t port, const std::string& user, bool decrypted) {
  records::ProxiedConnection c;
  c.client_ip = IpAddress::v4(0x0a000001);
  c.client_port = port;
  c.server_ip = IpAddress::v4(0x0a000002);
  c.server_port = 587;
  c.user = user;
  c.decrypted = decrypted;
  return c;
}

TEST(ConnectionNotes, WhatTheRecorderLearnsAtTheStartStaysForTheEnd) {
  ConnectionNotes notes;
  const auto c = note(40000, "tanaka", true);
  const auto start = notes.at_start(c.client_ip, c.client_port, c.server_ip, c.server_port);
  EXPECT_FALSE(start.noted);
  notes.note(c);
  const auto again = notes.at_start(c.client_ip, c.client_port, c.server_ip, c.server_port);
  EXPECT_TRUE(again.noted);
  EXPECT_TRUE(again.decrypted);
  EXPECT_EQ(again.user, "tanaka");
  auto taken = notes.take(c.client_ip, c.client_port, c.server_ip, c.server_port);
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(taken->user, "tanaka");
  EXPECT_FALSE(notes.take(c.client_ip, c.client_port, c.server_ip, c.server_port).has_value());
}

// A STARTTLS connection is noted twice (plaintext, then decrypted): the second note replaces the
// first and counts as the newest, so the bound forgets older connections before it.
TEST(ConnectionNotes, ANoteReplacedIsAmongTheNewest) {
  ConnectionNotes notes(3);
  notes.note(note(1, "a", false));
  notes.note(note(2, "b", false));
  auto upgraded = note(1, "a", true);  // noted again after its upgrade
  upgraded.again = true;
  notes.note(upgraded);
  notes.note(note(3, "c", false));
  notes.note(note(4, "d", false));  // one over the bound: the oldest goes, which is 2
  const auto one = note(1, "", false);
  auto kept = notes.take(one.client_ip, 1, one.server_ip, 587);
  ASSERT_TRUE(kept.has_value());
  EXPECT_TRUE(kept->decrypted);
  EXPECT_FALSE(notes.take(one.client_ip, 2, one.server_ip, 587).has_value());
  EXPECT_TRUE(notes.take(one.client_ip, 3, one.server_ip, 587).has_value());
  EXPECT_TRUE(notes.take(one.client_ip, 4, one.server_ip, 587).has_value());
  EXPECT_EQ(notes.forgotten(), 1u);
}

// A client reused its port towards the same destination while the recorder still held the
// first session (lingering after its close): the proxy noted the second connection before the
// recorder ended the first. Each session gets its own connection's note.
TEST(ConnectionNotes, AReusedPortDoesNotTakeTheEarlierConnectionsNote) {
  ConnectionNotes notes;
  auto first = note(40000, "suzuki", true);
  first.host = "first.test";
  notes.note(first);
  EXPECT_TRUE(notes.at_start(first.client_ip, 40000, first.server_ip, 587).decrypted);
  auto second = note(40000, "suzuki", false);
  second.host = "second.test";
  second.connected = false;  // refused, say: nothing alike
  notes.note(second);
  // The first session ends (the second's SYN, or its linger).
  auto ended = notes.take(first.client_ip, 40000, first.server_ip, 587);
  ASSERT_TRUE(ended.has_value());
  EXPECT_EQ(ended->host, "first.test");
  EXPECT_TRUE(ended->decrypted);
  // The second begins and ends with its own.
  const auto start = notes.at_start(first.client_ip, 40000, first.server_ip, 587);
  EXPECT_TRUE(start.noted);
  EXPECT_FALSE(start.decrypted);
  auto last = notes.take(first.client_ip, 40000, first.server_ip, 587);
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->host, "second.test");
  EXPECT_FALSE(notes.take(first.client_ip, 40000, first.server_ip, 587).has_value());
}

// The bound counts connections, not 4-tuples: a reused one's older note can be forgotten alone.
TEST(ConnectionNotes, TheBoundForgetsTheOldestConnectionOfAReusedPort) {
  ConnectionNotes notes(2);
  auto a = note(1, "a", false);
  a.host = "a1";
  notes.note(a);
  a.host = "a2";
  notes.note(a);
  notes.note(note(2, "b", false));  // over the bound: a1 goes
  auto kept = notes.take(a.client_ip, 1, a.server_ip, 587);
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->host, "a2");
  EXPECT_FALSE(notes.take(a.client_ip, 1, a.server_ip, 587).has_value());
  EXPECT_EQ(notes.forgotten(), 1u);
}

}  // namespace
}  // namespace kagami::mirror
