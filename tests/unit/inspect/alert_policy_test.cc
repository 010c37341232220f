#include "kagami/inspect/alert_policy.h"

#include <gtest/gtest.h>

namespace kagami::inspect {
namespace {

ObjectFinding finding(const std::string& detector, Confidence c, std::uint64_t count) {
  ObjectFinding f;
  f.detector = detector;
  f.confidence = c;
  f.count = count;
  return f;
}

TEST(AlertPolicy, DefaultsWeighCountConfidenceAndDirection) {
  const AlertPolicy p = AlertPolicy::defaults();
  auto v = p.judge({finding("jp_my_number", Confidence::kHigh, 5)}, "sent", "", "");
  EXPECT_EQ(v.severity, Severity::kHigh);
  EXPECT_EQ(v.title, "My Numbers sent");  // the weaker rule of the same detector says no more
  EXPECT_EQ(v.per_finding[0], Severity::kHigh);
  v = p.judge({finding("jp_my_number", Confidence::kHigh, 1)}, "sent", "", "");
  EXPECT_EQ(v.severity, Severity::kMedium);
  EXPECT_EQ(v.title, "My Number sent");
  // Received, or by chance (no context word): recorded, not alerted.
  EXPECT_EQ(p.judge({finding("jp_my_number", Confidence::kHigh, 9)}, "received", "", "").severity,
            Severity::kInfo);
  EXPECT_EQ(p.judge({finding("jp_my_number", Confidence::kLow, 40)}, "sent", "", "").severity,
            Severity::kInfo);
  // Malware in either direction.
  v = p.judge({finding("yara:Emotet", Confidence::kHigh, 1),
               finding("email_address", Confidence::kHigh, 3)},
              "received", "", "");
  EXPECT_EQ(v.severity, Severity::kHigh);
  EXPECT_EQ(v.per_finding[0], Severity::kHigh);
  EXPECT_EQ(v.per_finding[1], Severity::kInfo);
}

TEST(AlertPolicy, AnEncryptedFileSentIsAnAlertOfItsOwn) {
  const AlertPolicy p = AlertPolicy::defaults();
  auto v = p.judge({finding("encrypted", Confidence::kHigh, 1)}, "sent", "", "");
  EXPECT_EQ(v.severity, Severity::kMedium);
  EXPECT_EQ(v.title, "Encrypted file sent");
  // Received (PPAP from a customer): recorded as a finding, no alert by default.
  EXPECT_EQ(p.judge({finding("encrypted", Confidence::kHigh, 1)}, "received", "", "").severity,
            Severity::kInfo);
}

// Remote administration as intruders use it, told by DCE/RPC records: a service created is an
// alert, a routine machine password change is not.
TEST(AlertPolicy, RemoteAdministrationEventsByDefault) {
  const AlertPolicy p = AlertPolicy::defaults();
  auto v = p.judge({finding("dcerpc:service_created", Confidence::kHigh, 1)}, "sent", "", "");
  EXPECT_EQ(v.severity, Severity::kHigh);
  EXPECT_EQ(v.title, "Service created remotely");
  EXPECT_EQ(
      p.judge({finding("dcerpc:service_started", Confidence::kHigh, 1)}, "sent", "", "").severity,
      Severity::kMedium);
  for (const char* routine :
       {"dcerpc:machine_password_set", "dcerpc:service_deleted", "dcerpc:registry_written"})
    EXPECT_EQ(p.judge({finding(routine, Confidence::kHigh, 1)}, "sent", "", "").severity,
              Severity::kInfo)
        << routine;
}

TEST(AlertPolicy, RulesExemptUsersAndHosts) {
  AlertPolicy p;
  AlertRule r;
  r.title = "Cards out";
  r.detector = "credit_card";
  r.min_count = 2;
  r.severity = Severity::kCritical;
  r.exclude_users = {"payments-batch"};
  r.exclude_hosts = {"*.payments.example.jp"};
  p.rules = {r};
  const std::vector<ObjectFinding> cards = {finding("credit_card", Confidence::kMedium, 1),
                                            finding("credit_card", Confidence::kHigh, 1)};
  EXPECT_EQ(p.judge(cards, "sent", "alice", "upload.example.com").severity, Severity::kCritical);
  EXPECT_EQ(p.judge(cards, "sent", "payments-batch", "upload.example.com").severity,
            Severity::kInfo);
  EXPECT_EQ(p.judge(cards, "sent", "alice", "api.PAYMENTS.example.jp").severity, Severity::kInfo);
  EXPECT_EQ(p.judge({cards[0]}, "sent", "alice", "").severity, Severity::kInfo);  // 1 < 2
}

}  // namespace
}  // namespace kagami::inspect
