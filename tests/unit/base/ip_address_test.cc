#include "kagami/base/ip_address.h"

#include <gtest/gtest.h>

namespace kagami {
namespace {

TEST(IpAddress, ParsesAndPrintsBothFamilies) {
  EXPECT_EQ(IpAddress::parse("192.0.2.1").value().to_string(), "192.0.2.1");
  EXPECT_TRUE(IpAddress::parse("192.0.2.1").value().is_v4());
  EXPECT_EQ(IpAddress::parse("2001:db8::1").value().to_string(), "2001:db8::1");
  EXPECT_FALSE(IpAddress::parse("2001:db8::1").value().is_v4());
  EXPECT_FALSE(IpAddress::parse("300.1.1.1").ok());
}

TEST(IpAddress, V4SortsBeforeV6AndByValue) {
  EXPECT_LT(IpAddress::parse("10.0.0.1").value(), IpAddress::parse("10.0.0.2").value());
  EXPECT_LT(IpAddress::parse("255.255.255.255").value(), IpAddress::parse("2001:db8::").value());
}

TEST(IpPrefix, CoversExactlyItsRange) {
  const IpPrefix p = IpPrefix::parse("10.1.0.0/16").value();
  EXPECT_TRUE(p.contains(IpAddress::parse("10.1.0.0").value()));
  EXPECT_TRUE(p.contains(IpAddress::parse("10.1.255.255").value()));
  EXPECT_FALSE(p.contains(IpAddress::parse("10.2.0.0").value()));
  EXPECT_FALSE(p.contains(IpAddress::parse("10.0.255.255").value()));
  const IpPrefix v6 = IpPrefix::parse("2001:db8::/32").value();
  EXPECT_TRUE(v6.contains(IpAddress::parse("2001:db8:ffff::1").value()));
  EXPECT_FALSE(v6.contains(IpAddress::parse("2001:db9::").value()));
  EXPECT_FALSE(v6.contains(IpAddress::parse("10.0.0.1").value()));
}

TEST(IpPrefix, BareAddressIsAHostPrefix) {
  const IpPrefix p = IpPrefix::parse("192.0.2.7").value();
  EXPECT_EQ(p.first, p.last);
}

TEST(IpPrefix, RejectsBadLengths) {
  EXPECT_FALSE(IpPrefix::parse("10.0.0.0/33").ok());
  EXPECT_FALSE(IpPrefix::parse("10.0.0.0/x").ok());
  EXPECT_FALSE(IpPrefix::parse("::/129").ok());
}

TEST(Mac, Formats) { EXPECT_EQ(format_mac(0x0200000000ffull), "02:00:00:00:00:ff"); }

}  // namespace
}  // namespace kagami
