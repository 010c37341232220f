#include "kagami/proxy/destination_guard.h"

#include <gtest/gtest.h>

namespace kagami::proxy {
namespace {

IpAddress ip(const char* text) { return IpAddress::parse(text).value(); }

std::unique_ptr<DestinationGuard> guard(std::vector<std::string> allow = {}) {
  auto g = DestinationGuard::build(allow);
  EXPECT_TRUE(g.ok());
  return std::move(g.value());
}

TEST(DestinationGuard, SpecialAddressesAreRefusedByDefault) {
  auto g = guard();
  for (const char* a :
       {"127.0.0.1", "127.255.0.9", "0.0.0.0", "0.1.2.3", "169.254.169.254", "224.0.0.1",
        "239.255.255.250", "255.255.255.255", "240.0.0.1", "::1", "::", "fe80::1", "ff02::1",
        "::ffff:127.0.0.1", "64:ff9b::7f00:1", "::127.0.0.1"}) {
    EXPECT_FALSE(g->refusal(ip(a), 443).empty()) << a;
  }
  for (const char* a : {"93.184.216.34", "10.1.2.3", "192.168.1.10", "2001:db8::5"})
    EXPECT_EQ(g->refusal(ip(a), 443), "") << a;
}

TEST(DestinationGuard, NamesTheClassItRefused) {
  auto g = guard();
  EXPECT_NE(g->refusal(ip("127.0.0.1"), 80).find("loopback"), std::string::npos);
  EXPECT_NE(g->refusal(ip("169.254.169.254"), 80).find("link-local"), std::string::npos);
  EXPECT_NE(g->refusal(ip("0.0.0.0"), 80).find("unspecified"), std::string::npos);
  EXPECT_NE(g->refusal(ip("ff02::1"), 80).find("multicast"), std::string::npos);
  EXPECT_NE(g->refusal(ip("8.8.8.8"), 0).find("port 0"), std::string::npos);
}

TEST(DestinationGuard, AllowedRangesOpenOnlyThemselves) {
  auto g = guard({"127.0.0.0/8"});
  EXPECT_EQ(g->refusal(ip("127.0.0.1"), 8080), "");
  EXPECT_EQ(g->refusal(ip("::ffff:127.0.0.5"), 8080), "");  // the same address, IPv4-mapped
  EXPECT_FALSE(g->refusal(ip("::1"), 8080).empty());
  EXPECT_FALSE(g->refusal(ip("169.254.169.254"), 80).empty());
  ASSERT_TRUE(g->set_allowed({"::1/128"}).ok());
  EXPECT_FALSE(g->refusal(ip("127.0.0.1"), 8080).empty());
  EXPECT_EQ(g->refusal(ip("::1"), 8080), "");
  EXPECT_FALSE(g->set_allowed({"not-a-prefix"}).ok());
  EXPECT_FALSE(DestinationGuard::build({"300.0.0.0/8"}).ok());
}

TEST(DestinationGuard, OwnListenersAreNeverADestinationEvenWhenAllowed) {
  auto g = guard({"127.0.0.0/8", "::1/128", "0.0.0.0/8"});
  ASSERT_TRUE(g->add_own("127.0.0.1:3128").ok());
  ASSERT_TRUE(g->add_own("0.0.0.0:57012").ok());
  for (const char* a : {"127.0.0.1", "127.0.0.2", "0.0.0.0", "::1", "::ffff:127.0.0.1"}) {
    EXPECT_NE(g->refusal(ip(a), 3128).find("own listener"), std::string::npos) << a;
    EXPECT_NE(g->refusal(ip(a), 57012).find("own listener"), std::string::npos) << a;
    EXPECT_EQ(g->refusal(ip(a), 8080), "") << a;  // allowed, and not ours
  }
  // Somewhere else on the same port is someone else's server.
  EXPECT_EQ(g->refusal(ip("93.184.216.34"), 3128), "");
}

TEST(DestinationGuard, ThisHostsOwnAddressesAreRefusedAndOwnPortsOnThemToo) {
  // The loopback interface's address is one of this host's, found by getifaddrs.
  auto g = guard({"127.0.0.0/8"});
  ASSERT_TRUE(g->add_own("[::]:8443").ok());
  EXPECT_NE(g->refusal(ip("127.0.0.1"), 8443).find("own listener"), std::string::npos);
  EXPECT_FALSE(g->add_own("127.0.0.1").ok());
  EXPECT_FALSE(g->add_own("127.0.0.1:0").ok());
  EXPECT_FALSE(g->add_own("localhost:80").ok());
}

TEST(DestinationGuard, SpecialClassIgnoresOrdinaryAddresses) {
  EXPECT_EQ(DestinationGuard::special_class(ip("198.51.100.7")), nullptr);
  EXPECT_STREQ(DestinationGuard::special_class(ip("127.0.0.1")), "loopback");
  EXPECT_STREQ(DestinationGuard::special_class(ip("64:ff9b::a9fe:a9fe")), "link-local");
  EXPECT_EQ(DestinationGuard::special_class(ip("64:ff9b::808:808")), nullptr);
}

}  // namespace
}  // namespace kagami::proxy
