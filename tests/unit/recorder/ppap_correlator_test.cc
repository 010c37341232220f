#include "kagami/recorder/ppap_correlator.h"

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace kagami::recorder {
namespace {

constexpr TimeNs kMinute = 60 * kNsPerSec;

MailSighting zip_mail(std::uint64_t id, TimeNs ts, const std::string& sha,
                      const std::string& from = "tanaka@example.jp",
                      const std::string& to = "kobayashi@partner.example") {
  MailSighting m;
  m.mail_id = id;
  m.ts = ts;
  m.sender = from;
  m.recipients = {to};
  records::FileRecord f;
  f.sha256 = sha;
  f.mime = "application/zip";
  records::FileEvent e;
  e.id = id * 100;
  e.name = sha + ".zip";
  m.archives.emplace_back(f, e);
  return m;
}

MailSighting password_mail(std::uint64_t id, TimeNs ts, const std::string& password,
                           const std::string& from = "tanaka@example.jp",
                           const std::string& to = "kobayashi@partner.example") {
  MailSighting m;
  m.mail_id = id;
  m.ts = ts;
  m.sender = from;
  m.recipients = {to};
  m.passwords = {password};
  m.message.id = id * 100 + 1;
  return m;
}

// "archive sha <- password mail id" for each job.
std::vector<std::string> pairs(const std::vector<PpapJob>& jobs) {
  std::vector<std::string> out;
  for (const PpapJob& j : jobs)
    out.push_back(j.file.sha256 + "<-" + std::to_string(j.ppap->password_mail_id));
  return out;
}

using V = std::vector<std::string>;

TEST(PpapCorrelator, AZipIsPairedWithThePasswordMailThatFollowsIt) {
  PpapCorrelator c({});
  EXPECT_TRUE(c.observe(zip_mail(1, 0, "z1")).empty());
  const auto jobs = c.observe(password_mail(2, kMinute, "Xy7#kP2q"));
  EXPECT_EQ(pairs(jobs), V{"z1<-2"});
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].ppap->passwords, V{"Xy7#kP2q"});
  EXPECT_EQ(jobs[0].ppap->archive_mail_id, 1u);
  EXPECT_EQ(jobs[0].ppap->password_message.id, 201u);
  EXPECT_EQ(jobs[0].event.id, 100u);
}

TEST(PpapCorrelator, EachRoundPairsWithItsOwnPassword) {
  PpapCorrelator c({});
  V all;
  for (auto& m : {zip_mail(1, 0, "z1"), password_mail(2, kMinute, "pw1pw1"),
                  zip_mail(3, 10 * kMinute, "z3"), password_mail(4, 11 * kMinute, "pw4pw4")})
    for (auto& p : pairs(c.observe(MailSighting(m)))) all.push_back(p);
  EXPECT_EQ(all, (V{"z1<-2", "z3<-4"}));
}

TEST(PpapCorrelator, ACorrectedPasswordIsTriedOnTheSameZip) {
  PpapCorrelator c({});
  c.observe(zip_mail(1, 0, "z1"));
  EXPECT_EQ(pairs(c.observe(password_mail(2, kMinute, "wrong1"))), V{"z1<-2"});
  EXPECT_EQ(pairs(c.observe(password_mail(3, 2 * kMinute, "right1"))), V{"z1<-3"});
}

TEST(PpapCorrelator, MailsSeenOutOfOrderArePairedByTheirTime) {
  PpapCorrelator c({});
  EXPECT_TRUE(c.observe(password_mail(2, kMinute, "Xy7#kP2q")).empty());
  EXPECT_EQ(pairs(c.observe(zip_mail(1, 0, "z1"))), V{"z1<-2"});
}

TEST(PpapCorrelator, OtherSendersOtherRecipientsEarlierOrLatePasswordsAreNotPaired) {
  PpapCorrelator c({});
  c.observe(zip_mail(1, 0, "z1"));
  EXPECT_TRUE(c.observe(password_mail(2, kMinute, "pwpwpw", "other@example.jp")).empty());
  EXPECT_TRUE(c.observe(password_mail(3, kMinute, "pwpwpw", "tanaka@example.jp", "x@else.example"))
                  .empty());
  EXPECT_TRUE(c.observe(password_mail(4, 2 * 3600 * kNsPerSec, "pwpwpw")).empty());  // too late
  PpapCorrelator d({});
  d.observe(password_mail(1, 0, "pwpwpw"));  // a password before any zip is for no zip
  EXPECT_TRUE(d.observe(zip_mail(2, kMinute, "z2")).empty());
}

TEST(PpapCorrelator, APasswordInTheZipsOwnMailIsTried) {
  PpapCorrelator c({});
  MailSighting m = zip_mail(1, 0, "z1");
  m.passwords = {"Xy7#kP2q"};
  EXPECT_EQ(pairs(c.observe(std::move(m))), V{"z1<-1"});
}

TEST(PpapCorrelator, EachPairIsHandedOutOnceAndMemoryIsBounded) {
  PpapOptions o;
  o.max_messages = 3;
  PpapCorrelator c(o);
  c.observe(zip_mail(1, 0, "z1"));
  EXPECT_EQ(pairs(c.observe(password_mail(2, kMinute, "pwpwpw"))).size(), 1u);
  EXPECT_TRUE(c.observe(password_mail(2, kMinute, "pwpwpw")).empty());  // seen again (IMAP)
  for (std::uint64_t i = 10; i < 20; ++i)
    c.observe(zip_mail(i, kMinute + i, "y" + std::to_string(i), "x@a.example"));
  std::uint64_t forgotten = 0;
  c.visit([&](const char* name, const Counter& n) {
    if (std::string(name) == "ppap.forgotten") forgotten = n.get();
  });
  EXPECT_EQ(forgotten, 10u);  // 13 seen, 3 kept
  // z1 is forgotten: a late password mail finds nothing to open.
  EXPECT_TRUE(c.observe(password_mail(30, 2 * kMinute, "again1")).empty());
}

}  // namespace
}  // namespace kagami::recorder
