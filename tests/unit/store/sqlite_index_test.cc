#include "kagami/store/sqlite_index.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "kagami/base/location_codec.h"
#include "kagami/records/record_types.h"

#include "support/packets.h"
#include "support/temp_dir.h"

namespace kagami::store {
namespace {

using kagami::test::ip;

records::SessionRecord session(std::uint64_t id, const char* client, std::uint16_t cport,
                               const char* server, std::uint16_t sport, TimeNs first, TimeNs last,
                               std::uint8_t transport = 6) {
  records::SessionRecord r;
  r.id = id;
  r.sensor = "unit";
  r.client_ip = ip(client);
  r.server_ip = ip(server);
  r.client_port = cport;
  r.server_port = sport;
  r.ts_first = first;
  r.ts_last = last;
  r.transport = transport;
  r.flags = records::kSessionGap | records::kSessionMidStream;
  r.end_reason = "fin";
  return r;
}

class IndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto idx = SqliteIndex::open(dir.path() + "/index.sqlite", SqliteIndex::Mode::kReadWrite);
    ASSERT_TRUE(idx.ok()) << idx.error().message;
    index = std::move(idx.value());
    ASSERT_TRUE(index->begin().ok());
    ASSERT_TRUE(
        index->insert_session(session(1, "10.0.0.1", 40000, "10.0.0.2", 80, 100, 200)).ok());
    ASSERT_TRUE(
        index->insert_session(session(2, "10.0.0.3", 40001, "192.0.2.9", 443, 300, 400)).ok());
    ASSERT_TRUE(
        index->insert_session(session(3, "2001:db8::1", 5353, "2001:db8::53", 53, 500, 600, 17))
            .ok());
    ASSERT_TRUE(index->commit().ok());
  }
  std::vector<std::uint64_t> ids(const SessionQuery& q) {
    std::vector<std::uint64_t> out;
    EXPECT_TRUE(index
                    ->query_sessions(q,
                                     [&](const records::SessionRecord& r) {
                                       out.push_back(r.id);
                                       return true;
                                     })
                    .ok());
    return out;
  }
  test::TempDir dir;
  std::unique_ptr<SqliteIndex> index;
};

// Statistics of FTS5's own tables, taken while they were nearly empty, made every later insert
// scan them (a 150 MB import into a store first recorded without analyzers: 5.5 min, not 11 s).
TEST_F(IndexTest, AnalysingLeavesTheFullTextTablesWithoutStatistics) {
  ASSERT_TRUE(index->optimize().ok());
  std::int64_t analysed = -1, fts = -1;
  ASSERT_TRUE(index
                  ->select("SELECT count(*), sum(tbl GLOB 'text_fts_*') FROM sqlite_stat1", {},
                           [&](const SqlRow& row) {
                             analysed = row.i64(0);
                             fts = row.i64(1);
                             return false;
                           })
                  .ok());
  EXPECT_GT(analysed, 0);  // the other tables have theirs
  EXPECT_EQ(fts, 0);
}

// A recorder killed while a session was open wrote its transactions, not the session: a new
// session given that number would take those records as its own.
TEST_F(IndexTest, NextSessionIdCoversRecordsOfSessionsNeverWritten) {
  records::HttpRecord h;
  h.id = 1;
  h.session_id = 41;
  h.method = "POST";
  ASSERT_TRUE(index->begin().ok());
  ASSERT_TRUE(index->insert(h).ok());
  ASSERT_TRUE(index->commit().ok());
  auto next = index->next_session_id();
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next.value(), 42u);
}

TEST_F(IndexTest, SessionRoundTripsEveryField) {
  SessionQuery q;
  q.ids = {1};
  records::SessionRecord got;
  ASSERT_TRUE(index
                  ->query_sessions(q,
                                   [&](const records::SessionRecord& r) {
                                     got = r;
                                     return true;
                                   })
                  .ok());
  EXPECT_EQ(got.client_ip.to_string(), "10.0.0.1");
  EXPECT_EQ(got.server_port, 80);
  EXPECT_EQ(got.ts_first, 100);
  EXPECT_EQ(got.flags, records::kSessionGap | records::kSessionMidStream);
  EXPECT_EQ(got.end_reason, "fin");
  EXPECT_EQ(got.sensor, "unit");
}

TEST_F(IndexTest, FiltersCombine) {
  SessionQuery q;
  q.since = 250;
  EXPECT_EQ(ids(q), (std::vector<std::uint64_t>{2, 3}));
  q.until = 450;
  EXPECT_EQ(ids(q), (std::vector<std::uint64_t>{2}));

  SessionQuery by_ip;
  by_ip.ips = {IpPrefix::parse("10.0.0.0/24").value()};
  EXPECT_EQ(ids(by_ip), (std::vector<std::uint64_t>{1, 2}));
  by_ip.ips = {IpPrefix::parse("192.0.2.9").value()};  // server side matches too
  EXPECT_EQ(ids(by_ip), (std::vector<std::uint64_t>{2}));
  by_ip.ips = {IpPrefix::parse("2001:db8::/32").value()};
  EXPECT_EQ(ids(by_ip), (std::vector<std::uint64_t>{3}));

  SessionQuery by_port;
  by_port.ports = {40001, 53};
  EXPECT_EQ(ids(by_port), (std::vector<std::uint64_t>{2, 3}));

  SessionQuery by_proto;
  by_proto.transport = 17;
  EXPECT_EQ(ids(by_proto), (std::vector<std::uint64_t>{3}));

  SessionQuery limited;
  limited.limit = 1;
  limited.newest_first = true;
  EXPECT_EQ(ids(limited), (std::vector<std::uint64_t>{3}));
  EXPECT_EQ(index->count_sessions(SessionQuery{}).value(), 3u);
}

TEST_F(IndexTest, QueryValuesAreBoundNotPasted) {
  SessionQuery q;
  q.app = "x' OR '1'='1";
  EXPECT_TRUE(ids(q).empty());
}

TEST_F(IndexTest, LocationsComeBackInPartOrder) {
  LocationEncoder e;
  records::PacketLocationChunk c;
  c.session_id = 1;
  ASSERT_TRUE(index->begin().ok());
  for (std::uint32_t part = 0; part < 3; ++part) {
    e.add({1, 100 + part * 10});
    e.add({2, 24 + part});
    c.part = part;
    c.count = 2;
    c.bytes = e.take();
    ASSERT_TRUE(index->insert_locations(c).ok());
  }
  ASSERT_TRUE(index->commit().ok());
  auto locs = index->session_locations(1);
  ASSERT_TRUE(locs.ok());
  ASSERT_EQ(locs->size(), 6u);
  EXPECT_EQ((*locs)[0].offset, 100u);
  EXPECT_EQ((*locs)[4].offset, 120u);
  EXPECT_EQ((*locs)[5].file_id, 2u);
}

TEST_F(IndexTest, NextIdsCoverOrphanedLocationChunks) {
  records::PacketLocationChunk c;
  c.session_id = 42;  // a crash wrote the chunk but not the session
  c.bytes = {0x03, 0x18};
  ASSERT_TRUE(index->begin().ok());
  ASSERT_TRUE(index->insert_locations(c).ok());
  ASSERT_TRUE(index->commit().ok());
  EXPECT_EQ(index->next_session_id().value(), 43u);
}

TEST_F(IndexTest, ReadersSeeCommittedRowsWhileTheWriterHoldsTheFile) {
  auto reader = SqliteIndex::open(dir.path() + "/index.sqlite", SqliteIndex::Mode::kReadOnly);
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(reader.value()->count_sessions(SessionQuery{}).value(), 3u);
  ASSERT_TRUE(index->begin().ok());
  ASSERT_TRUE(index->insert_session(session(4, "10.0.0.4", 1, "10.0.0.5", 2, 1, 2)).ok());
  EXPECT_EQ(reader.value()->count_sessions(SessionQuery{}).value(), 3u);  // not committed yet
  ASSERT_TRUE(index->commit().ok());
  EXPECT_EQ(reader.value()->count_sessions(SessionQuery{}).value(), 4u);
}

}  // namespace
}  // namespace kagami::store
