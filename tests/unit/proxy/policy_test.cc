// Decisions per connection: the first matching rule, host names with wildcards and lists,
// client and destination prefixes, ports; and destinations bypassed after client failures.
#include "kagami/proxy/policy.h"

#include <gtest/gtest.h>

#include "kagami/proxy/auto_bypass.h"

#include "support/temp_dir.h"

namespace kagami::proxy {
namespace {

ConnectionFacts facts(const std::string& host, const char* client = "10.0.0.5",
                      const char* server = "192.0.2.10", std::uint16_t port = 443) {
  ConnectionFacts f;
  f.host = host;
  f.client = IpAddress::parse(client).value();
  f.server = IpAddress::parse(server).value();
  f.server_known = true;
  f.port = port;
  return f;
}

TEST(Policy, HostNamesMatchExactlyOrBelowAWildcard) {
  PolicyConfig c;
  RuleConfig r;
  r.action = Action::kBypass;
  r.reason = "privacy";
  r.hosts = {"*.bank.example", "health.example", ".clinic.example", "Shop.Example."};
  c.rules.push_back(r);
  auto p = Policy::build(c).value();
  EXPECT_EQ(p->decide(facts("www.bank.example")).action, Action::kBypass);
  EXPECT_EQ(p->decide(facts("a.b.bank.example")).action, Action::kBypass);
  EXPECT_EQ(p->decide(facts("bank.example")).action, Action::kDecrypt);  // "*." is below only
  EXPECT_EQ(p->decide(facts("health.example")).action, Action::kBypass);
  EXPECT_EQ(p->decide(facts("x.health.example")).action, Action::kDecrypt);
  EXPECT_EQ(p->decide(facts("clinic.example")).action, Action::kBypass);  // "." is both
  EXPECT_EQ(p->decide(facts("x.clinic.example")).action, Action::kBypass);
  EXPECT_EQ(p->decide(facts("SHOP.example")).action, Action::kBypass);
  EXPECT_EQ(p->decide(facts("notbank.example")).action, Action::kDecrypt);
  EXPECT_EQ(p->decide(facts("")).action, Action::kDecrypt);
  EXPECT_EQ(p->decide(facts("www.bank.example")).reason, "privacy");
  EXPECT_EQ(p->decide(facts("other.example")).reason, "default");
}

TEST(Policy, EveryKindOfConditionMustMatchAndTheFirstRuleWins) {
  PolicyConfig c;
  c.default_action = Action::kBypass;
  RuleConfig block;
  block.action = Action::kBlock;
  block.clients = {"10.9.0.0/16"};
  block.ports = {25, 465};
  RuleConfig decrypt;
  decrypt.action = Action::kDecrypt;
  decrypt.destinations = {"192.0.2.0/24", "2001:db8::/32"};
  c.rules = {block, decrypt};
  auto p = Policy::build(c).value();
  EXPECT_EQ(p->decide(facts("", "10.9.1.1", "192.0.2.1", 25)).action, Action::kBlock);
  EXPECT_EQ(p->decide(facts("", "10.9.1.1", "192.0.2.1", 443)).action, Action::kDecrypt);
  EXPECT_EQ(p->decide(facts("", "10.8.1.1", "198.51.100.1", 25)).action, Action::kBypass);
  EXPECT_EQ(p->decide(facts("", "10.8.1.1", "2001:db8::1", 443)).action, Action::kDecrypt);
  ConnectionFacts unknown = facts("", "10.8.1.1", "192.0.2.1", 443);
  unknown.server_known = false;  // before the name resolved: destination rules cannot match
  EXPECT_EQ(p->decide(unknown).action, Action::kBypass);
}

TEST(Policy, HostListsAreReadAndBadInputIsRefused) {
  test::TempDir dir;
  const std::string list = dir.path() + "/privacy.txt";
  FILE* f = std::fopen(list.c_str(), "w");
  std::fputs("# banks\n.bank.example  # and below\n\nhealth.example\n", f);
  std::fclose(f);
  PolicyConfig c;
  RuleConfig r;
  r.action = Action::kBypass;
  r.host_lists = {list};
  c.rules.push_back(r);
  auto p = Policy::build(c).value();
  EXPECT_EQ(p->decide(facts("online.bank.example")).action, Action::kBypass);
  EXPECT_EQ(p->decide(facts("health.example")).action, Action::kBypass);
  EXPECT_EQ(p->decide(facts("online.bank.example")).reason, "rule 1");
  c.rules[0].host_lists = {dir.path() + "/missing.txt"};
  EXPECT_FALSE(Policy::build(c).ok());
  c.rules[0].host_lists.clear();
  c.rules[0].clients = {"10.0.0.0/33"};
  EXPECT_FALSE(Policy::build(c).ok());
  EXPECT_FALSE(parse_action("allow").ok());
}

TEST(AutoBypass, RemembersForItsDurationAndStaysBounded) {
  AutoBypass b(1000, 2);
  b.add("pinned.example:443", "the client refused the minted certificate", 0);
  EXPECT_EQ(b.check("pinned.example:443", 500).value_or(""),
            "the client refused the minted certificate");
  EXPECT_FALSE(b.check("pinned.example:443", 1000).has_value());  // expired
  b.add("a:443", "x", 2000);
  b.add("b:443", "x", 2000);
  b.add("c:443", "x", 2000);  // full of live entries: not added
  EXPECT_FALSE(b.check("c:443", 2100).has_value());
  b.add("d:443", "x", 3500);  // the others expired: room again
  EXPECT_TRUE(b.check("d:443", 3600).has_value());
  AutoBypass off(0, 10);
  off.add("x:443", "x", 0);
  EXPECT_FALSE(off.check("x:443", 1).has_value());
}

}  // namespace
}  // namespace kagami::proxy
