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

IpAddress addr(const char* text) { return IpAddress::parse(text).value(); }

TEST(AutoBypass, RemembersForItsDurationAndStaysBounded) {
  const IpAddress c = addr("10.0.0.5");
  AutoBypass b(1000, 2);
  EXPECT_TRUE(b.client_refused(c, "pinned.example:443", "refused", 0).added);
  EXPECT_EQ(b.check(c, "pinned.example:443", 500).value_or(""), "refused");
  EXPECT_FALSE(b.check(c, "pinned.example:443", 1000).has_value());  // expired
  EXPECT_TRUE(b.client_refused(c, "a:443", "x", 2000).added);
  EXPECT_TRUE(b.client_refused(c, "b:443", "x", 2000).added);
  const auto full = b.client_refused(c, "c:443", "x", 2000);  // full of live entries
  EXPECT_FALSE(full.added);
  EXPECT_NE(full.why_not.find("full"), std::string::npos);
  EXPECT_FALSE(b.check(c, "c:443", 2100).has_value());
  EXPECT_TRUE(b.client_refused(c, "d:443", "x", 3500).added);  // the others expired: room
  EXPECT_TRUE(b.check(c, "d:443", 3600).has_value());
  AutoBypass off(0, 10);
  EXPECT_FALSE(off.client_refused(c, "x:443", "x", 0).added);
  off.server_refused("x:443", "x", 0);
  EXPECT_FALSE(off.check(c, "x:443", 1).has_value());
}

// One client refusing the minted certificate used to switch decryption off for everybody.
TEST(AutoBypass, OneClientsRefusalBypassesThatClientAlone) {
  const IpAddress attacker = addr("10.0.0.66"), victim = addr("10.0.0.7");
  AutoBypass b(3600'000, 100);
  EXPECT_TRUE(b.client_refused(attacker, "exfil.example:443", "refused", 0).added);
  EXPECT_TRUE(b.check(attacker, "exfil.example:443", 10).has_value());
  EXPECT_FALSE(b.check(victim, "exfil.example:443", 10).has_value());
  const auto listed = b.list(10);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].client, "10.0.0.66");
  EXPECT_EQ(listed[0].destination, "exfil.example:443");
  EXPECT_EQ(listed[0].remaining_ms, 3600'000 - 10);
}

TEST(AutoBypass, NoBypassWhereOtherClientsAcceptTheMintedCertificate) {
  const IpAddress a = addr("10.0.0.1"), b = addr("10.0.0.2"), mallory = addr("10.0.0.66");
  AutoBypass bypass(3600'000, 100);
  bypass.client_accepted(a, "www.example:443", 0);
  const auto o = bypass.client_refused(mallory, "www.example:443", "refused", 5);
  EXPECT_FALSE(o.added);
  EXPECT_NE(o.why_not.find("other clients accept"), std::string::npos);
  EXPECT_FALSE(bypass.check(mallory, "www.example:443", 6).has_value());
  // The client that accepted may itself run a pinned app: only others' acceptance counts.
  EXPECT_TRUE(bypass.client_refused(a, "solo.example:443", "refused", 5).added);
  bypass.client_accepted(a, "mine.example:443", 0);
  EXPECT_TRUE(bypass.client_refused(a, "mine.example:443", "refused", 5).added);
  // Acceptance is remembered for the bypass duration, then forgotten.
  bypass.client_accepted(b, "old.example:443", 0);
  EXPECT_TRUE(bypass.client_refused(mallory, "old.example:443", "refused", 3600'001).added);
}

TEST(AutoBypass, AServerDemandingClientCertificatesIsBypassedForEveryone) {
  AutoBypass b(1000, 10);
  b.server_refused("mtls.example:443", "the server demands a client certificate", 0);
  EXPECT_TRUE(b.check(addr("10.0.0.1"), "mtls.example:443", 1).has_value());
  EXPECT_TRUE(b.check(addr("10.0.0.2"), "mtls.example:443", 1).has_value());
  const auto listed = b.list(1);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].client, "");
}

}  // namespace
}  // namespace kagami::proxy
