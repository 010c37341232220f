#include "kagami/query/session_rollups.h"

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "kagami/query/search.h"
#include "kagami/records/record_types.h"
#include "kagami/store/sqlite_index.h"

#include "support/temp_dir.h"

namespace kagami::query {
namespace {

constexpr TimeNs kMin = 60 * kNsPerSec;
constexpr TimeNs kHour = 60 * kMin;
constexpr TimeNs kDay = 24 * kHour;
const TimeNs kStart = parse_time("2026-11-01T00:00:00Z").value();

// Ten days of sessions, busy and rare hosts and users (some without either), a few that last
// hours (active in windows they started before); the answers are checked against counting
// the sessions here, in the test, not against the index's other way of counting.
class SessionRollupsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto idx = store::SqliteIndex::open(dir.path() + "/index.sqlite",
                                        store::SqliteIndex::Mode::kReadWrite);
    ASSERT_TRUE(idx.ok()) << idx.error().message;
    index = std::move(*idx);
    std::mt19937_64 rng(7);
    ASSERT_TRUE(index->begin().ok());
    for (std::uint64_t id = 1; id <= 3000; ++id) {
      records::SessionRecord s;
      s.id = id;
      s.ts_first = kStart + static_cast<TimeNs>(rng() % (10 * kDay));
      s.ts_last = s.ts_first + (id % 97 == 0 ? static_cast<TimeNs>(rng() % (5 * kHour))
                                             : static_cast<TimeNs>(rng() % (30 * kNsPerSec)));
      const auto h = static_cast<int>(std::min<std::uint64_t>(rng() % 40, rng() % 40));
      s.host = h == 0 ? "" : "h" + std::to_string(h) + ".example.com";
      const auto u = static_cast<int>(std::min<std::uint64_t>(rng() % 12, rng() % 12));
      s.user = u == 0 ? "" : "u" + std::to_string(u);
      s.bytes_c2s = rng() % 1000;
      s.bytes_s2c = rng() % 100000;
      sessions.push_back(s);
      ASSERT_TRUE(index->insert_session(s).ok());
    }
    ASSERT_TRUE(index->commit().ok());
  }

  std::vector<const records::SessionRecord*> in(std::optional<TimeNs> lo,
                                                std::optional<TimeNs> hi) const {
    std::vector<const records::SessionRecord*> out;
    for (const auto& s : sessions)
      if ((!lo || s.ts_last >= *lo) && (!hi || s.ts_first < *hi)) out.push_back(&s);
    return out;
  }

  Timeline expected_timeline(std::optional<TimeNs> lo, std::optional<TimeNs> hi,
                             std::size_t buckets) const {
    Timeline t;
    t.counts.assign(buckets, 0);
    t.bytes.assign(buckets, 0);
    const auto m = in(lo, hi);
    if (m.empty()) return t;
    TimeNs first = m[0]->ts_first, last = first;
    for (const auto* s : m) {
      first = std::min(first, s->ts_first);
      last = std::max(last, s->ts_first);
    }
    const TimelineGrid g = timeline_grid(first, last, buckets);
    t.start = g.start;
    t.width = g.width;
    for (const auto* s : m) {
      const auto b = static_cast<std::size_t>((s->ts_first - t.start) / t.width);
      ++t.counts.at(b);
      t.bytes.at(b) += s->bytes_c2s + s->bytes_s2c;
    }
    return t;
  }

  std::vector<std::pair<std::string, std::uint64_t>> expected_top(const std::string& field,
                                                                  std::optional<TimeNs> lo,
                                                                  std::optional<TimeNs> hi,
                                                                  std::size_t n) const {
    std::map<std::string, std::uint64_t> counts;
    for (const auto* s : in(lo, hi)) {
      const std::string& v = field == "host" ? s->host : s->user;
      if (!v.empty()) ++counts[v];
    }
    std::vector<std::pair<std::string, std::uint64_t>> out(counts.begin(), counts.end());
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    if (out.size() > n) out.resize(n);
    return out;
  }

  static std::string window_query(std::optional<TimeNs> lo, std::optional<TimeNs> hi) {
    if (!lo && !hi) return "*";
    // Epoch seconds with fractions are exact to the nanosecond for these times.
    auto t = [](std::optional<TimeNs> v) {
      return v ? std::to_string(*v / kNsPerSec) + "." +
                     std::to_string(*v % kNsPerSec + kNsPerSec).substr(1)
               : std::string("*");
    };
    return "time:[" + t(lo) + " TO " + t(hi) + "]";
  }

  // Checks the public aggregates' answers for one window; `rolled`: the rollups answer it
  // themselves, else the top lists are left to counting rows.
  void check(std::optional<TimeNs> lo, std::optional<TimeNs> hi, bool rolled, const char* what) {
    SCOPED_TRACE(what);
    SearchRequest r;
    r.query = window_query(lo, hi);
    r.kind = Kind::kSessions;
    auto cq = compile_request(*index, r);
    ASSERT_TRUE(cq.ok()) << cq.error().message;
    ASSERT_TRUE(cq->sessions_in_window) << r.query;
    // The range's upper end is inclusive to the second typed: the window the compiler made.
    const auto w_lo = cq->window_lo, w_hi = cq->window_hi;
    for (const std::size_t buckets : {60u, 7u}) {
      const Timeline want = expected_timeline(w_lo, w_hi, buckets);
      // (A window inside an hour may still span whole minutes, with the sessions active in it
      // that started before: only the top lists are sure to be counted from rows.)
      if (rolled) {
        EXPECT_TRUE(rollup_timeline(*index, *cq, buckets, 0).has_value()) << r.query;
      }
      auto got = timeline(*index, r, buckets);
      ASSERT_TRUE(got.ok()) << got.error().message;
      EXPECT_EQ(got->start, want.start);
      EXPECT_EQ(got->width, want.width);
      EXPECT_EQ(got->counts, want.counts) << r.query;
      EXPECT_EQ(got->bytes, want.bytes);
    }
    for (const char* field : {"host", "user"}) {
      auto direct = rollup_top(*index, *cq, field, 5, 0);
      EXPECT_EQ(direct.has_value(), rolled) << r.query;
      auto got = top_values(*index, r, field, 5);
      ASSERT_TRUE(got.ok()) << got.error().message;
      std::vector<std::pair<std::string, std::uint64_t>> pairs;
      for (const auto& v : *got) pairs.emplace_back(v.value, v.count);
      EXPECT_EQ(pairs, expected_top(field, w_lo, w_hi, 5)) << field << " " << r.query;
    }
  }

  void check_all() {
    check(std::nullopt, std::nullopt, true, "everything");
    check(kStart + 3 * kDay + 17 * kMin + 3 * kNsPerSec, kStart + 4 * kDay + 17 * kMin, true,
          "a day between minutes");
    check(kStart + 2 * kDay, kStart + 9 * kDay, true, "a week on whole days");
    check(kStart + 5 * kDay + 123456789, std::nullopt, true, "from a moment on");
    check(std::nullopt, kStart + 6 * kDay + 31 * kMin, true, "until a moment");
    check(kStart + 4 * kDay + 20 * kMin, kStart + 4 * kDay + 40 * kMin, false, "inside one hour");
    check(kStart + 20 * kDay, kStart + 21 * kDay, true, "after everything");
  }

  test::TempDir dir;
  std::unique_ptr<store::SqliteIndex> index;
  std::vector<records::SessionRecord> sessions;
};

TEST_F(SessionRollupsTest, AnswerAsCountingEverySessionWould) { check_all(); }

// A session written again (REPLACE), corrected or deleted moves out of its old place in the
// rollups: triggers keep them with the table, whoever writes it.
TEST_F(SessionRollupsTest, FollowSessionsReplacedUpdatedAndDeleted) {
  ASSERT_TRUE(index->begin().ok());
  // New sessions replaced in the transaction that inserted them.
  for (std::uint64_t id = 3001; id <= 3050; ++id) {
    records::SessionRecord s;
    s.id = id;
    s.ts_first = kStart + static_cast<TimeNs>(id) * 7 * kMin;
    s.ts_last = s.ts_first + kNsPerSec;
    s.host = "first.example.org";
    s.user = "u" + std::to_string(id);
    s.bytes_s2c = id;
    ASSERT_TRUE(index->insert_session(s).ok());
    s.ts_first += 3 * kDay;
    s.ts_last += 3 * kDay;
    s.host = "second.example.org";
    ASSERT_TRUE(index->insert_session(s).ok());
    sessions.push_back(s);
  }
  for (std::uint64_t id = 1; id <= 3000; id += 7) {
    records::SessionRecord& s = sessions[id - 1];
    s.host = "moved.example.net";
    s.ts_first += kHour;
    s.ts_last += kHour;
    ASSERT_TRUE(index->insert_session(s).ok());
  }
  ASSERT_TRUE(index->commit().ok());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir.path() + "/index.sqlite").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "UPDATE sessions SET user = 'renamed' WHERE id % 5 = 0; "
                         "DELETE FROM sessions WHERE id % 11 = 0",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  for (auto& s : sessions)
    if (s.id % 5 == 0) s.user = "renamed";
  std::erase_if(sessions, [](const records::SessionRecord& s) { return s.id % 11 == 0; });
  check_all();
  // Nothing emptied is left behind.
  std::int64_t zeros = -1;
  ASSERT_TRUE(index
                  ->select("SELECT (SELECT count(*) FROM session_minutes WHERE sessions = 0) + "
                           "(SELECT count(*) FROM session_hours WHERE sessions = 0) + "
                           "(SELECT count(*) FROM session_totals WHERE sessions = 0)",
                           {},
                           [&](const store::SqlRow& r) {
                             zeros = r.i64(0);
                             return false;
                           })
                  .ok());
  EXPECT_EQ(zeros, 0);
}

// An index from before the rollups gets them, filled from its sessions, when the writer opens
// it.
TEST_F(SessionRollupsTest, AreMadeForAnIndexFromBeforeThem) {
  index.reset();
  sqlite3* db = nullptr;
  const std::string path = dir.path() + "/index.sqlite";
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "DROP TRIGGER sessions_roll_insert; DROP TRIGGER sessions_roll_delete; "
                         "DROP TRIGGER sessions_roll_update; DROP TABLE session_minutes; "
                         "DROP TABLE session_hours; DROP TABLE session_totals; "
                         "UPDATE meta SET value = '8' WHERE key = 'schema_version'",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto reopened = store::SqliteIndex::open(path, store::SqliteIndex::Mode::kReadWrite);
  ASSERT_TRUE(reopened.ok()) << reopened.error().message;
  index = std::move(*reopened);
  check_all();
}

// A list's histogram of one host or user (or a domain's hosts) reads their hours when the span
// holds whole hours per bucket; a sidebar's newest matches of a domain come from each host's
// own newest. Both as counting the sessions here says.
TEST_F(SessionRollupsTest, OneHostOrUserReadsTheirHours) {
  struct Case {
    const char* query;
    bool (*match)(const records::SessionRecord&);
    bool rolled;  // at 60 buckets
  };
  const Case cases[] = {
      {"user:u3", [](const records::SessionRecord& s) { return s.user == "u3"; }, true},
      {"user:U3", [](const records::SessionRecord& s) { return s.user == "u3"; }, true},
      {"host:h5.example.com",
       [](const records::SessionRecord& s) { return s.host == "h5.example.com"; }, true},
      {"host:*.example.com",
       [](const records::SessionRecord& s) { return s.host.ends_with(".example.com"); }, true},
      {"host:h1*", [](const records::SessionRecord& s) { return s.host.starts_with("h1"); }, true},
      // Sessions without a host match too: not something the rollups hold.
      {"host:*", [](const records::SessionRecord&) { return true; }, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.query);
    std::vector<const records::SessionRecord*> m;
    for (const auto& s : sessions)
      if (c.match(s)) m.push_back(&s);
    ASSERT_FALSE(m.empty());
    SearchRequest r;
    r.query = c.query;
    r.kind = Kind::kSessions;
    auto cq = compile_request(*index, r);
    ASSERT_TRUE(cq.ok()) << cq.error().message;
    for (const std::size_t buckets : {60u, 7u, 1000u}) {
      TimeNs first = m[0]->ts_first, last = first;
      for (const auto* s : m) {
        first = std::min(first, s->ts_first);
        last = std::max(last, s->ts_first);
      }
      const TimelineGrid g = timeline_grid(first, last, buckets);
      std::vector<std::uint64_t> counts(buckets), bytes(buckets);
      for (const auto* s : m) {
        const auto b = static_cast<std::size_t>((s->ts_first - g.start) / g.width);
        ++counts[b];
        bytes[b] += s->bytes_c2s + s->bytes_s2c;
      }
      // Ten days hold 60 or 7 buckets of whole hours, not 1000.
      EXPECT_EQ(rollup_timeline(*index, *cq, buckets, 0).has_value(), c.rolled && buckets != 1000)
          << buckets;
      auto got = timeline(*index, r, buckets);
      ASSERT_TRUE(got.ok()) << got.error().message;
      EXPECT_EQ(got->start, g.start);
      EXPECT_EQ(got->width, g.width);
      EXPECT_EQ(got->counts, counts);
      EXPECT_EQ(got->bytes, bytes);
    }
    // The newest 50 matches' users.
    std::sort(m.begin(), m.end(),
              [](const auto* a, const auto* b) { return a->ts_first > b->ts_first; });
    m.resize(std::min<std::size_t>(m.size(), 50));
    std::map<std::string, std::uint64_t> users;
    for (const auto* s : m)
      if (!s->user.empty()) ++users[s->user];
    auto top = top_values(*index, r, "user", 100, nullptr, 50);
    ASSERT_TRUE(top.ok()) << top.error().message;
    std::map<std::string, std::uint64_t> got;
    for (const auto& v : *top) got[v.value] = v.count;
    EXPECT_EQ(got, users);
  }
}

TEST(TimelineGrid, WholeHoursWholeMinutesOrEqualSpans) {
  const TimeNs t0 = kStart + 25 * kMin + 7;
  // 10 days in 60 buckets: 4 hours each, from the hour of the first.
  auto g = timeline_grid(t0, t0 + 10 * kDay, 60);
  EXPECT_EQ(g.unit, kHour);
  EXPECT_EQ(g.start, kStart);
  EXPECT_EQ(g.width, 5 * kHour);  // 240 hours / 60 = 4, and one more so the last fits
  // A day: whole minutes.
  g = timeline_grid(t0, t0 + kDay, 60);
  EXPECT_EQ(g.unit, kMin);
  EXPECT_EQ(g.start, kStart + 25 * kMin);
  EXPECT_EQ(g.width, 25 * kMin);
  // Ten minutes: equal spans from the first match.
  g = timeline_grid(t0, t0 + 10 * kMin, 60);
  EXPECT_EQ(g.unit, 0);
  EXPECT_EQ(g.start, t0);
  EXPECT_EQ(g.width, 10 * kMin / 60 + 1);
}

}  // namespace
}  // namespace kagami::query
