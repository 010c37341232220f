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
  notes.note(note(1, "a", true));  // noted again after its upgrade
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

}  // namespace
}  // namespace kagami::mirror
