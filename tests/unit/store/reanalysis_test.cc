// How a reanalysis's sessions take the old ones' place (store/sqlite_reanalysis.cc): each rule
// on a connection of its own, all settled in one store.
#include <set>

#include <gtest/gtest.h>

#include "kagami/records/record_types.h"
#include "kagami/store/sqlite_index.h"

#include "support/packets.h"
#include "support/temp_dir.h"

namespace kagami::store {
namespace {

using kagami::test::ip;

records::SessionRecord session(std::uint64_t id, std::uint16_t cport, TimeNs first, TimeNs last) {
  records::SessionRecord r;
  r.id = id;
  r.sensor = id < 100 ? "old-sensor" : "new-sensor";
  r.client_ip = ip("10.0.0.1");
  r.server_ip = ip("10.0.0.2");
  r.client_port = cport;
  r.server_port = 80;
  r.ts_first = first;
  r.ts_last = last;
  r.transport = 6;
  r.end_reason = "fin";
  r.analysis = id < 100 ? 0 : 1;
  return r;
}

records::HttpRecord http(std::uint64_t id, std::uint64_t session_id, const char* uri) {
  records::HttpRecord h;
  h.id = id;
  h.session_id = session_id;
  h.ts = 1;
  h.method = "GET";
  h.host = "example.com";
  h.uri = uri;
  return h;
}

records::AlertRecord alert(std::uint64_t id, std::uint64_t session_id, const char* sha,
                           std::uint64_t event) {
  records::AlertRecord a;
  a.id = id;
  a.session_id = session_id;
  a.sha256 = sha;
  a.title = "My Numbers sent";
  a.severity = "high";
  a.file_event_id = event;
  return a;
}

class ReanalysisTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto idx = SqliteIndex::open(dir.path() + "/index.sqlite", SqliteIndex::Mode::kReadWrite);
    ASSERT_TRUE(idx.ok()) << idx.error().message;
    index = std::move(idx.value());
  }
  void put(const std::vector<records::SessionRecord>& sessions,
           const std::vector<records::HttpRecord>& https = {},
           const std::vector<records::AlertRecord>& alerts = {},
           const std::vector<records::FindingRecord>& findings = {}) {
    ASSERT_TRUE(index->begin().ok());
    for (const auto& s : sessions) ASSERT_TRUE(index->insert_session(s).ok());
    for (const auto& h : https) ASSERT_TRUE(index->insert(h).ok());
    for (const auto& a : alerts) ASSERT_TRUE(index->insert(a).ok());
    for (const auto& f : findings) ASSERT_TRUE(index->insert(f).ok());
    ASSERT_TRUE(index->commit().ok());
  }
  std::map<std::uint64_t, records::SessionRecord> sessions() {
    std::map<std::uint64_t, records::SessionRecord> out;
    EXPECT_TRUE(index
                    ->query_sessions({},
                                     [&](const records::SessionRecord& r) {
                                       out[r.id] = r;
                                       return true;
                                     })
                    .ok());
    return out;
  }
  template <class R>
  std::vector<R> all() {
    std::vector<R> out;
    EXPECT_TRUE(index
                    ->query<R>({},
                               [&](const R& r) {
                                 out.push_back(r);
                                 return true;
                               })
                    .ok());
    return out;
  }
  test::TempDir dir;
  std::unique_ptr<SqliteIndex> index;
};

TEST_F(ReanalysisTest, EachNewSessionTakesTheNumberOfTheOldOneItRepeats) {
  // The window is [10, 25].
  put({session(1, 1001, 10, 20),  // found again: the new one becomes number 1
       session(2, 1002, 5, 15),   // began before the window: stays, and its tail is not new
       session(4, 1004, 11, 12),  // nothing new overlaps it (its packets were not read): kept
       session(5, 1005, 14, 15),  // these two the new analysis sees as one session...
       session(6, 1005, 16, 18)},
      {http(1, 1, "/old-a"), http(2, 5, "/old-e")}, {alert(1, 6, "ee", 7)});
  ASSERT_TRUE(index->hold_sessions({6}, 1, "exported").ok());
  auto re = index->begin_reanalysis(100, 10, 25, 10, 25);
  ASSERT_TRUE(re.ok()) << re.error().message;
  EXPECT_EQ(re->run, 1u);
  put({session(100, 1001, 10, 20), session(101, 1002, 9, 15), session(102, 1003, 12, 13),
       session(103, 1005, 14, 18),
       session(104, 1006, 30, 31)},  // began after the window: a later run's
      {http(10, 100, "/new-a"), http(11, 103, "/new-e")});

  auto settled = index->settle_reanalysis();
  ASSERT_TRUE(settled.ok()) << settled.error().message;
  EXPECT_EQ(settled->replaced, 3u);  // 1, 5 and 6
  EXPECT_EQ(settled->merged, 1u);    // 6 into 5
  EXPECT_EQ(settled->added, 1u);     // 102: the old analysis missed it
  EXPECT_EQ(settled->kept, 1u);      // 4
  EXPECT_EQ(settled->outside, 2u);   // 101 (the tail of 2) and 104

  const auto s = sessions();
  std::vector<std::uint64_t> ids;
  for (const auto& [id, r] : s) ids.push_back(id);
  EXPECT_EQ(ids, (std::vector<std::uint64_t>{1, 2, 4, 5, 102}));
  EXPECT_EQ(s.at(1).analysis, 1u);
  EXPECT_EQ(s.at(1).sensor, "old-sensor");  // the sensor that saw it, wherever this ran
  EXPECT_EQ(s.at(5).ts_last, 18);
  EXPECT_EQ(s.at(2).analysis, 0u);
  EXPECT_EQ(s.at(4).analysis, 0u);

  std::map<std::uint64_t, std::string> uris;
  for (const auto& h : all<records::HttpRecord>()) uris[h.session_id] += h.uri;
  EXPECT_EQ(uris, (std::map<std::uint64_t, std::string>{{1, "/new-a"}, {5, "/new-e"}}));
  // What was said about the folded session follows it.
  const auto alerts = all<records::AlertRecord>();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].session_id, 5u);
  auto held = index->sessions_overlapping(0, 100, /*evidence_only=*/true);
  ASSERT_TRUE(held.ok());
  EXPECT_EQ(held.value(), (std::vector<std::uint64_t>{5}));
  auto pending = index->pending_reanalysis();
  ASSERT_TRUE(pending.ok());
  EXPECT_FALSE(pending->has_value());
  // The dashboards' roll-ups count what the sessions table holds, not both analyses.
  std::int64_t rolled = -1;
  ASSERT_TRUE(index
                  ->select("SELECT sum(sessions) FROM session_minutes", {},
                           [&](const SqlRow& row) {
                             rolled = row.i64(0);
                             return false;
                           })
                  .ok());
  EXPECT_EQ(rolled, 5);
}

TEST_F(ReanalysisTest, AnAlertRaisedAgainIsTheOldOneAndANewOneIsNew) {
  records::FindingRecord old_finding;
  old_finding.id = 1;
  old_finding.sha256 = "aa";
  old_finding.session_id = 1;
  old_finding.detector = "jp_my_number";
  old_finding.alert_id = 1;
  put({session(1, 1001, 10, 20)}, {}, {alert(1, 1, "aa", 3)}, {old_finding});
  ASSERT_TRUE(index->add_alert_note(1, 5, "analyst", "ack", "known").ok());
  ASSERT_TRUE(index->begin_reanalysis(100, 0, 100, 0, 100).ok());
  records::FindingRecord again = old_finding, hunted = old_finding;
  again.id = 10;
  again.session_id = 100;
  again.alert_id = 10;
  hunted.id = 11;
  hunted.session_id = 100;
  hunted.sha256 = "bb";
  hunted.detector = "yara:new_rule";
  hunted.alert_id = 11;
  put({session(100, 1001, 10, 20)}, {}, {alert(10, 100, "aa", 30), alert(11, 100, "bb", 31)},
      {again, hunted});
  auto settled = index->settle_reanalysis();
  ASSERT_TRUE(settled.ok()) << settled.error().message;
  EXPECT_EQ(settled->alerts_repeated, 1u);
  EXPECT_EQ(settled->new_alerts, (std::vector<std::uint64_t>{11}));
  std::map<std::uint64_t, records::AlertRecord> alerts;
  for (const auto& a : all<records::AlertRecord>()) alerts[a.id] = a;
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts.at(1).file_event_id, 30u);  // the old alert names the new sighting
  EXPECT_EQ(alerts.at(11).session_id, 1u);
  std::map<std::string, std::uint64_t> finding_alert;
  for (const auto& f : all<records::FindingRecord>()) finding_alert[f.sha256] = f.alert_id;
  EXPECT_EQ(finding_alert, (std::map<std::string, std::uint64_t>{{"aa", 1}, {"bb", 11}}));
}

TEST_F(ReanalysisTest, AnUnsettledRunIsUndoneWholeAndTheOldAnalysisStands) {
  put({session(1, 1001, 10, 20)}, {http(1, 1, "/old")});
  ASSERT_TRUE(index->begin_reanalysis(100, 0, 100, 0, 100).ok());
  put({session(100, 1001, 10, 20), session(101, 1002, 11, 12)}, {http(10, 100, "/new")});
  auto undone = index->abandon_reanalysis();
  ASSERT_TRUE(undone.ok()) << undone.error().message;
  EXPECT_EQ(undone.value(), 2u);
  const auto s = sessions();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s.begin()->first, 1u);
  const auto h = all<records::HttpRecord>();
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].uri, "/old");
  // Nothing is pending: a second undo does nothing, and the next run gets the next number.
  EXPECT_EQ(index->abandon_reanalysis().value(), 0u);
  EXPECT_EQ(index->begin_reanalysis(200, 0, 100, 0, 100)->run, 2u);
}

TEST_F(ReanalysisTest, RecordsASessionLeftWithoutItsRowAreGivenWholeOnce) {
  // A recorder killed while session 7 was open wrote its first transaction, never the session;
  // its alert was raised and told.
  records::HttpRecord early = http(1, 7, "/first");
  early.ts = 12;
  records::AlertRecord told = alert(1, 7, "aa", 3);
  told.ts = 12;
  put({session(1, 1001, 10, 20)}, {early}, {told});
  ASSERT_TRUE(index->begin_reanalysis(100, 0, 30, 0, 30).ok());
  records::HttpRecord again = http(10, 101, "/first"), next = http(11, 101, "/second");
  again.ts = 12;
  next.ts = 14;
  records::AlertRecord raised = alert(10, 101, "aa", 30);
  raised.ts = 12;
  put({session(100, 1001, 10, 20), session(101, 1007, 11, 15)}, {again, next}, {raised});
  auto settled = index->settle_reanalysis();
  ASSERT_TRUE(settled.ok()) << settled.error().message;
  EXPECT_EQ(settled->orphans, 1u);
  EXPECT_EQ(settled->alerts_repeated, 1u);
  EXPECT_TRUE(settled->new_alerts.empty());
  std::multiset<std::string> uris;
  for (const auto& h : all<records::HttpRecord>()) uris.insert(h.uri);
  EXPECT_EQ(uris, (std::multiset<std::string>{"/first", "/second"}));
  const auto alerts = all<records::AlertRecord>();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].id, 1u);            // the alert that was told, with its triage
  EXPECT_EQ(alerts[0].session_id, 101u);  // now naming the session the new analysis gave
}

TEST_F(ReanalysisTest, DecryptedFactsOnlyTheProxyKnewSurvive) {
  auto old = session(1, 1001, 10, 20);
  old.decrypted = true;
  old.user = "suzuki";
  old.host = "intra.example.jp";
  records::TlsRecord tls;
  tls.session_id = 1;
  tls.sni = "intra.example.jp";
  tls.decrypted = true;
  ASSERT_TRUE(index->begin().ok());
  ASSERT_TRUE(index->insert_session(old).ok());
  ASSERT_TRUE(index->insert(tls).ok());
  ASSERT_TRUE(index->commit().ok());
  ASSERT_TRUE(index->begin_reanalysis(100, 0, 100, 0, 100).ok());
  put({session(100, 1001, 10, 20)}, {http(10, 100, "/plain")});
  ASSERT_TRUE(index->settle_reanalysis().ok());
  const auto s = sessions();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_TRUE(s.at(1).decrypted);
  EXPECT_EQ(s.at(1).user, "suzuki");
  EXPECT_EQ(s.at(1).host, "intra.example.jp");
  const auto t = all<records::TlsRecord>();
  ASSERT_EQ(t.size(), 1u);
  EXPECT_TRUE(t[0].decrypted);
  EXPECT_EQ(all<records::HttpRecord>().size(), 1u);
}

}  // namespace
}  // namespace kagami::store
