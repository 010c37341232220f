#include "kagami/query/search.h"

#include <algorithm>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include "kagami/query/search_compiler.h"
#include "kagami/records/record_types.h"
#include "kagami/store/audit_log.h"
#include "kagami/store/host_key.h"
#include "kagami/store/sqlite_index.h"
#include "kagami/store/text_fold.h"

#include "support/packets.h"
#include "support/temp_dir.h"

namespace kagami::query {
namespace {

using kagami::test::ip;

TimeNs at(const char* iso) { return parse_time(iso).value(); }

const std::string kXlsx(64, 'a');  // the customer list, sent twice
const std::string kExe(64, 'b');   // the malware

// A request of its own session (the session's id is the request's).
records::HttpRecord request(std::uint64_t id, TimeNs ts, const char* method, std::string host,
                            std::string uri) {
  records::HttpRecord h;
  h.id = id;
  h.session_id = id;
  h.ts = ts;
  h.method = method;
  h.host = std::move(host);
  h.uri = std::move(uri);
  return h;
}

records::Endpoints ends(const char* c, std::uint16_t cp, const char* s, std::uint16_t sp) {
  records::Endpoints e;
  e.client_ip = ip(c);
  e.client_port = cp;
  e.server_ip = ip(s);
  e.server_port = sp;
  return e;
}

// A small world of five sessions: tanaka uploads a customer list with My Numbers through the
// proxy and mails it on; suzuki downloads malware; a DNS lookup; a TLS session not decrypted.
class SearchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto idx = store::SqliteIndex::open(dir.path() + "/index.sqlite",
                                        store::SqliteIndex::Mode::kReadWrite);
    ASSERT_TRUE(idx.ok()) << idx.error().message;
    index = std::move(idx.value());
    ASSERT_TRUE(index->begin().ok());
    add_session(1, "10.0.0.5", "203.0.113.10", 443, at("2026-11-01T09:00:00Z"), "http,tls",
                "www.example.com", "tanaka", true);
    add_session(2, "10.0.0.6", "198.51.100.7", 80, at("2026-11-02T12:00:00Z"), "http",
                "files.evil.test", "suzuki");
    add_session(3, "10.0.0.5", "192.0.2.25", 25, at("2026-11-03T08:00:00Z"), "smtp", "", "");
    add_session(4, "10.0.0.7", "192.0.2.53", 53, at("2026-11-01T08:59:00Z"), "dns",
                "www.Example.com", "", false, 17);
    add_session(5, "10.0.0.8", "203.0.113.99", 443, at("2026-11-04T00:00:00Z"), "tls",
                "login.example.com", "");

    records::HttpRecord h;
    h.id = 1;
    h.session_id = 1;
    h.endpoints = ends("10.0.0.5", 40000, "203.0.113.10", 443);
    h.ts = at("2026-11-01T09:00:01Z");
    h.method = "POST";
    h.host = "www.example.com";
    h.uri = "/upload";
    h.status = 200;
    h.user = "tanaka";
    ASSERT_TRUE(index->insert(h).ok());
    h.id = 2;
    h.session_id = 2;
    h.endpoints = ends("10.0.0.6", 40001, "198.51.100.7", 80);
    h.ts = at("2026-11-02T12:00:01Z");
    h.method = "GET";
    h.host = "files.evil.test";
    h.uri = "/payload.exe";
    h.user = "suzuki";
    ASSERT_TRUE(index->insert(h).ok());

    records::MailRecord m;
    m.id = 1;
    m.session_id = 3;
    m.endpoints = ends("10.0.0.5", 40002, "192.0.2.25", 25);
    m.ts = at("2026-11-03T08:00:01Z");
    m.protocol = "smtp";
    m.direction = "sent";
    m.mail_from = "tanaka@example.jp";
    m.rcpt_to = {"partner@example.com"};
    m.subject = "見積書の送付";
    ASSERT_TRUE(index->insert(m).ok());

    records::DnsRecord d;
    d.id = 1;
    d.session_id = 4;
    d.endpoints = ends("10.0.0.7", 5353, "192.0.2.53", 53);
    d.ts = at("2026-11-01T08:59:00Z");
    d.query = "www.Example.com";
    d.qtype = "A";
    d.answers = {"A 203.0.113.10"};
    ASSERT_TRUE(index->insert(d).ok());

    records::TlsRecord t;
    t.session_id = 5;
    t.endpoints = ends("10.0.0.8", 40003, "203.0.113.99", 443);
    t.ts = at("2026-11-04T00:00:00Z");
    t.sni = "login.example.com";
    t.ja3 = "e7d705a3286e19ea42f587b344ee6865";
    ASSERT_TRUE(index->insert(t).ok());

    add_object(kXlsx, "f00d", 20000,
               "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "マイナンバー 123456789018 極秘 quarterly report");
    add_object(kExe, "bad0", 3u << 20, "application/x-dosexec", "");
    add_event(1, kXlsx, 1, "顧客リスト.xlsx", "sent", "http", 1, at("2026-11-01T09:00:01Z"));
    add_event(2, kExe, 2, "payload.exe", "received", "http", 2, at("2026-11-02T12:00:01Z"));
    add_event(3, kXlsx, 3, "list.xlsx", "sent", "mail", 1, at("2026-11-03T08:00:01Z"));
    add_finding(1, kXlsx, 1, "jp_my_number", "high", at("2026-11-01T09:00:01Z"));
    add_finding(2, kExe, 2, "clamav:Eicar-Signature", "critical", at("2026-11-02T12:00:01Z"));
    records::AlertRecord a;
    a.id = 1;
    a.ts = at("2026-11-01T09:00:02Z");
    a.severity = "high";
    a.title = "My Numbers sent";
    a.session_id = 1;
    a.sha256 = kXlsx;
    a.user = "tanaka";
    a.file_name = "顧客リスト.xlsx";
    ASSERT_TRUE(index->insert(a).ok());
    ASSERT_TRUE(index->commit().ok());
  }

  void add_session(std::uint64_t id, const char* client, const char* server, std::uint16_t port,
                   TimeNs first, const char* app, const char* host, const char* user,
                   bool decrypted = false, std::uint8_t transport = 6) {
    records::SessionRecord r;
    r.id = id;
    r.sensor = "unit";
    r.client_ip = ip(client);
    r.server_ip = ip(server);
    r.client_port = static_cast<std::uint16_t>(40000 + id);
    r.server_port = port;
    r.ts_first = first;
    r.ts_last = first + 5 * kNsPerSec;
    r.transport = transport;
    r.app = app;
    r.host = host;
    r.user = user;
    r.decrypted = decrypted;
    ASSERT_TRUE(index->insert_session(r).ok());
  }

  void add_object(const std::string& sha, const char* md5, std::uint64_t size, const char* mime,
                  const char* text) {
    records::FileRecord f;
    f.sha256 = sha;
    f.md5 = md5;
    f.size = size;
    f.mime = mime;
    ASSERT_TRUE(index->insert(f).ok());
    records::InspectionRecord in;
    in.sha256 = sha;
    in.search_text = text;
    ASSERT_TRUE(index->upsert_inspection(in).ok());
  }

  void add_event(std::uint64_t id, const std::string& sha, std::uint64_t session, const char* name,
                 const char* direction, const char* kind, std::uint64_t record, TimeNs ts) {
    records::FileEvent e;
    e.id = id;
    e.sha256 = sha;
    e.session_id = session;
    e.ts = ts;
    e.name = name;
    e.direction = direction;
    e.protocol = std::string(kind) == "mail" ? "smtp" : kind;
    e.record_kind = kind;
    e.record_id = record;
    ASSERT_TRUE(index->insert(e).ok());
  }

  void add_finding(std::uint64_t id, const std::string& sha, std::uint64_t session,
                   const char* detector, const char* severity, TimeNs ts) {
    records::FindingRecord f;
    f.id = id;
    f.sha256 = sha;
    f.session_id = session;
    f.ts = ts;
    f.detector = detector;
    f.severity = severity;
    f.confidence = "high";
    f.count = 1;
    ASSERT_TRUE(index->insert(f).ok());
  }

  // The ids a query lists (newest first), with its kind as "kind:1,2,3" for short expectations.
  std::string found(const std::string& q, std::optional<Kind> kind = std::nullopt) {
    SearchRequest r;
    r.query = q;
    r.kind = kind;
    r.now = at("2026-11-04T12:00:00Z");
    auto page = search(*index, r);
    if (!page) return "ERROR " + page.error().message;
    std::string s = std::string(kind_name(page->kind)) + ":";
    for (std::size_t i = 0; i < page->ids.size(); ++i)
      s += (i ? "," : "") + std::to_string(page->ids[i]);
    EXPECT_EQ(page->total, page->ids.size()) << q;
    return s;
  }

  std::string error(const std::string& q) {
    SearchRequest r;
    r.query = q;
    QueryError where;
    auto page = search(*index, r, &where);
    EXPECT_FALSE(page.ok()) << q;
    return page.ok() ? "" : page.error().message;
  }

  test::TempDir dir;
  std::unique_ptr<store::SqliteIndex> index;
};

TEST_F(SearchTest, ListsTheKindTheFieldsName) {
  EXPECT_EQ(found("method:POST"), "http:1");
  EXPECT_EQ(found("host:*.example.com AND method:POST"), "http:1");
  EXPECT_EQ(found("user:tanaka file.type:xlsx finding:jp_my_number"), "files:1");
  EXPECT_EQ(found("sha256:" + kXlsx), "files:3,1");
  EXPECT_EQ(found("severity:>=high"), "findings:2,1");
  EXPECT_EQ(found("severity:critical"), "findings:2");
  EXPECT_EQ(found("alert:\"My Numbers sent\""), "alerts:1");
  EXPECT_EQ(found("dns.query:www.example.com"), "dns:1");  // names compare case-insensitively
  EXPECT_EQ(found("sni:*.example.com"), "tls:5");
  EXPECT_EQ(found("mail.to:partner@example.com"), "mail:1");
  EXPECT_EQ(found("status:[200 TO 299] method:GET"), "http:2");
  EXPECT_EQ(found("ip:10.0.0.0/8"), "sessions:5,3,2,1,4");
}

TEST_F(SearchTest, MatchesHostsByDomainThroughTheReversedKey) {
  EXPECT_EQ(found("host:*.example.com"), "sessions:5,1,4");
  EXPECT_EQ(found("host:WWW.EXAMPLE.COM"), "sessions:1,4");
  EXPECT_EQ(found("host:*.test"), "sessions:2");
  EXPECT_EQ(found("host:files.*"), "sessions:2");  // a wildcard elsewhere: scanned, still right
  EXPECT_EQ(found("host:example.com"), "sessions:");
  // A Host header's port is not part of the name.
  EXPECT_EQ(store::host_key("WWW.Example.com:8443"), "moc.elpmaxe.www");
  EXPECT_EQ(store::host_key("[2001:db8::1]:443"), "1::8bd:1002");
  EXPECT_EQ(store::host_key("2001:db8::1"), "1::8bd:1002");
  EXPECT_EQ(found("host:files.evil.test:80"), "sessions:2");
}

TEST_F(SearchTest, CombinesTimeAddressesAndSessionFields) {
  EXPECT_EQ(found("ip:10.0.0.0/8 AND time:[2026-11-02 TO 2026-11-03]"), "sessions:3,2");
  EXPECT_EQ(found("time:2026-11-01"), "sessions:1,4");
  EXPECT_EQ(found("time:>=now-1d"), "sessions:5");
  EXPECT_EQ(found("time:<2026-11-01T09:00:00Z"), "sessions:4");
  // Sessions overlap a time: session 1 ran 09:00:00 to 09:00:05.
  EXPECT_EQ(found("time:\"2026-11-01 09:00:03\""), "sessions:1");
  EXPECT_EQ(found("client.ip:10.0.0.5"), "sessions:3,1");
  EXPECT_EQ(found("server.port:25"), "sessions:3");
  EXPECT_EQ(found("app:smtp"), "sessions:3");
  EXPECT_EQ(found("app:tls"), "sessions:5,1");
  EXPECT_EQ(found("transport:udp"), "sessions:4");
  EXPECT_EQ(found("decrypted:true"), "sessions:1");
  EXPECT_EQ(found("NOT decrypted:true"), "sessions:5,3,2,4");
  EXPECT_EQ(found("-decrypted:true -transport:udp"), "sessions:5,3,2");
  EXPECT_EQ(found("user:tanaka OR user:suzuki"), "sessions:2,1");
  EXPECT_EQ(found("finding:jp_my_number", Kind::kSessions), "sessions:1");
  EXPECT_EQ(found("finding:clamav:*", Kind::kHttpRecord), "http:2");
  EXPECT_EQ(found("file.size:>1M"), "files:2");
  EXPECT_EQ(found("md5:f00d"), "files:3,1");
  EXPECT_EQ(found("file.type:exe"), "files:2");
  EXPECT_EQ(found("file.type:application/*"), "files:3,2,1");
  EXPECT_EQ(found("file.name:*.xlsx direction:sent"), "files:3,1");
}

TEST_F(SearchTest, FindsFreeTextInUrlsSubjectsNamesAndDocuments) {
  // Document text, two characters (shorter than a trigram) and longer.
  EXPECT_EQ(found("極秘"), "sessions:3,1");
  EXPECT_EQ(found("\"quarterly report\"", Kind::kFiles), "files:3,1");
  EXPECT_EQ(found("マイナンバー", Kind::kMailRecord), "mail:1");  // its attachment
  EXPECT_EQ(found("見積書"), "sessions:3");                       // a subject
  EXPECT_EQ(found("見積書", Kind::kMailRecord), "mail:1");
  EXPECT_EQ(found("payload", Kind::kHttpRecord), "http:2");  // a URL
  EXPECT_EQ(found("顧客リスト"), "sessions:1");              // a file name
  EXPECT_EQ(found("text:quarterly method:POST"), "http:1");
  EXPECT_EQ(found("nothing-like-this"), "sessions:");
}

TEST_F(SearchTest, DenseFreeTextTestsEachRowsOwnText) {
  // A cap of one makes every match "dense": the page walks time and tests rows one by one,
  // a message by its full-text row, a request by its host and URL, a session by its requests,
  // messages and files.
  using Ids = std::vector<std::uint64_t>;
  for (const auto& [q, kind, ids] : {std::tuple{"見積書", Kind::kMailRecord, Ids{1}},
                                     std::tuple{"PARTNER@example", Kind::kMailRecord, Ids{1}},
                                     std::tuple{"Payload.EXE", Kind::kHttpRecord, Ids{2}},
                                     std::tuple{"quarterly", Kind::kHttpRecord, Ids{1}},
                                     std::tuple{"Payload.EXE", Kind::kSessions, Ids{2}},
                                     std::tuple{"見積書", Kind::kSessions, Ids{3}},
                                     std::tuple{"quarterly", Kind::kSessions, Ids{3, 1}},
                                     std::tuple{"極秘", Kind::kSessions, Ids{3, 1}}}) {
    SearchRequest r;
    r.query = q;
    r.kind = kind;
    r.count_cap = 1;
    auto p = search(*index, r);
    ASSERT_TRUE(p.ok()) << p.error().message;
    EXPECT_EQ(p->ids, ids) << q;
    EXPECT_TRUE(p->total_capped) << q;
    // The same without a cap: every match found and sorted.
    r.count_cap = 10'000;
    p = search(*index, r);
    ASSERT_TRUE(p.ok()) << p.error().message;
    EXPECT_EQ(p->ids, ids) << q;
    EXPECT_EQ(p->total, ids.size()) << q;
  }
}

TEST_F(SearchTest, PagesAndCounts) {
  SearchRequest r;
  r.query = "*";
  r.limit = 2;
  auto p = search(*index, r);
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->ids, (std::vector<std::uint64_t>{5, 3}));
  EXPECT_EQ(p->total, 5u);
  EXPECT_FALSE(p->total_capped);
  r.offset = 2;
  p = search(*index, r);
  EXPECT_EQ(p->ids, (std::vector<std::uint64_t>{2, 1}));
  r.oldest_first = true;
  r.offset = 0;
  p = search(*index, r);
  EXPECT_EQ(p->ids, (std::vector<std::uint64_t>{4, 1}));
  r.count_cap = 3;
  p = search(*index, r);
  EXPECT_EQ(p->total, 3u);
  EXPECT_TRUE(p->total_capped);
  r.limit = kMaxPageSize + 1;
  EXPECT_FALSE(search(*index, r).ok());
  // The page's records, in its order.
  auto recs = page_records(*index, Kind::kHttpRecord, {2, 1});
  ASSERT_TRUE(recs.ok());
  ASSERT_EQ(recs->size(), 2u);
  EXPECT_EQ((*recs)[0]["uri"], "/payload.exe");
  EXPECT_EQ((*recs)[1]["uri"], "/upload");
}

TEST_F(SearchTest, BadQueriesGetErrorsThatPointAtThem) {
  EXPECT_NE(error("foo:bar").find("unknown field 'foo'"), std::string::npos);
  EXPECT_NE(error("ip:10.0.0.300").find("not an address"), std::string::npos);
  EXPECT_NE(error("time:yesterday").find("not a time"), std::string::npos);
  EXPECT_NE(error("severity:urgent").find("not a severity"), std::string::npos);
  EXPECT_NE(error("method:>POST").find("matched, not compared"), std::string::npos);
  EXPECT_NE(error("status:abc").find("not a number"), std::string::npos);
  EXPECT_NE(error("sha256:xyz").find("hex digest"), std::string::npos);
  EXPECT_NE(error("app:'x'").find("protocol name"), std::string::npos);
  // A range written high end first would match nothing: the error says how to write it.
  EXPECT_NE(error("file.size:[10M TO 1k]").find("write file.size:[1k TO 10M]"), std::string::npos);
  EXPECT_NE(error("time:[2026-11-03 TO 2026-11-01]").find("low end (2026-11-03) is above"),
            std::string::npos);
  EXPECT_NE(error("ip:[10.0.0.9 TO 10.0.0.1]").find("above its high end"), std::string::npos);
  EXPECT_EQ(found("file.size:[1k TO *]"), "files:3,2,1");  // open ends are not reversed
  SearchRequest r;
  r.query = "method:GET AND ip:nope";
  QueryError where;
  ASSERT_FALSE(search(*index, r, &where).ok());
  EXPECT_EQ(where.pos, 15u);
  EXPECT_EQ(where.len, 7u);
}

// Lower-case operators are valid words, rarely what was meant: a hint says so (once a word),
// with a code the console translates.
TEST_F(SearchTest, LowercaseOperatorsGetAHint) {
  SearchRequest r;
  r.query = "user:tanaka and app:smtp or and";
  auto page = search(*index, r);
  ASSERT_TRUE(page.ok()) << page.error().message;
  ASSERT_EQ(page->hints.size(), 2u);
  EXPECT_EQ(page->hints[0].code, "lowercase_operator");
  EXPECT_EQ(page->hints[0].word, "and");
  EXPECT_EQ(page->hints[1].word, "or");
  r.query = "user:tanaka AND \"and\" app:smtp";
  page = search(*index, r);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->hints.empty());  // quoted: meant as a word
}

// Errors carry a code and the values their message names, for a console to say them in the
// reader's language.
TEST_F(SearchTest, ErrorsCarryACodeAndTheirValues) {
  auto code = [&](const std::string& q) {
    SearchRequest r;
    r.query = q;
    QueryError where;
    EXPECT_FALSE(search(*index, r, &where).ok()) << q;
    std::string out = where.code;
    for (const auto& [k, v] : where.args) out += " " + k + "=" + v;
    return out;
  };
  EXPECT_EQ(code("foo:bar"), "unknown_field field=foo");
  EXPECT_EQ(code("file.size:[10M TO 1k]"), "reversed_range field=file.size low=10M high=1k");
  EXPECT_EQ(code("method:POST AND (host:x"), "unclosed_paren");
  EXPECT_EQ(code("method:POST AND"), "operator_alone op=AND");
  EXPECT_EQ(code("severity:urgent"), "not_severity value=urgent");
  EXPECT_EQ(code("status:abc"), "not_number value=abc field=status");
  EXPECT_EQ(code("ip:10.0.0.300"), "not_address value=10.0.0.300");
  // A console page tells its reader where the fields are listed, not a command to run.
  EXPECT_NE(error("foo:bar").find("Fields page"), std::string::npos);
}

// Files and findings are who and where their session was: user: and host: reach them.
TEST_F(SearchTest, FilesAndFindingsAnswerWhoAndWhereThroughTheirSession) {
  EXPECT_EQ(found("user:tanaka", Kind::kFindings), "findings:1");
  EXPECT_EQ(found("user:suzuki", Kind::kFiles), "files:2");
  EXPECT_EQ(found("host:*.evil.test", Kind::kFiles), "files:2");
  EXPECT_EQ(found("host:www.example.com finding:jp_my_number", Kind::kFindings), "findings:1");
  EXPECT_EQ(found("user:nobody", Kind::kFindings), "findings:");
}

// An alert's triage state is searchable: the last acknowledgement or reopening decides.
TEST_F(SearchTest, AlertsAreFoundByTheirTriageState) {
  EXPECT_EQ(found("state:new"), "alerts:1");
  EXPECT_EQ(found("state:acknowledged"), "alerts:");
  ASSERT_TRUE(index->add_alert_note(1, at("2026-11-05T00:00:00Z"), "ivan", "comment", "x").ok());
  EXPECT_EQ(found("state:new"), "alerts:1");
  ASSERT_TRUE(index->add_alert_note(1, at("2026-11-05T00:01:00Z"), "ivan", "ack", "").ok());
  EXPECT_EQ(found("state:acknowledged"), "alerts:1");
  EXPECT_EQ(found("state:new"), "alerts:");
  ASSERT_TRUE(index->add_alert_note(1, at("2026-11-05T00:02:00Z"), "ivan", "reopen", "").ok());
  EXPECT_EQ(found("state:new severity:>=high"), "alerts:1");
}

// A list sorts by any column of its table (severities by rank), and by nothing else: the name
// reaches the SQL text, so it is checked against the table.
TEST_F(SearchTest, SortsByAColumnOfTheListAndNothingElse) {
  auto sorted = [&](const std::string& q, Kind kind, const std::string& by) {
    SearchRequest r;
    r.query = q;
    r.kind = kind;
    r.sort = by;
    auto page = search(*index, r);
    if (!page) return "ERROR " + page.error().message;
    std::string s;
    for (std::size_t i = 0; i < page->ids.size(); ++i)
      s += (i ? "," : "") + std::to_string(page->ids[i]);
    return s;
  };
  EXPECT_EQ(sorted("*", Kind::kFiles, "name"), "3,2,1");  // list, payload, 顧客リスト
  EXPECT_EQ(sorted("*", Kind::kFiles, "-name"), "1,2,3");
  EXPECT_EQ(sorted("*", Kind::kSessions, "host"), "3,2,5,4,1");
  EXPECT_EQ(sorted("*", Kind::kFindings, "severity"), "1,2");  // high < critical
  EXPECT_EQ(sorted("*", Kind::kFindings, "-severity"), "2,1");
  EXPECT_EQ(sorted("file.type:xlsx", Kind::kFiles, "-session_id"), "3,1");
  EXPECT_EQ(sorted("*", Kind::kSessions, "bogus"), "ERROR sessions cannot be sorted by 'bogus'");
  EXPECT_NE(sorted("*", Kind::kSessions, "host; DROP TABLE sessions").find("cannot be sorted"),
            std::string::npos);
  EXPECT_EQ(sorted("*", Kind::kSessions, "host"), "3,2,5,4,1");  // still there
  // More matches than the count's cap: sorting would read them all; time order and a hint.
  SearchRequest r;
  r.query = "*";
  r.sort = "-host";
  r.count_cap = 3;
  auto page = search(*index, r);
  ASSERT_TRUE(page.ok()) << page.error().message;
  EXPECT_EQ(page->ids, (std::vector<std::uint64_t>{5, 3, 2, 1, 4}));
  ASSERT_EQ(page->hints.size(), 1u);
  EXPECT_EQ(page->hints[0].code, "sort_too_many");
  EXPECT_EQ(page->hints[0].word, "host");
  r.sort = "bogus";  // still checked
  EXPECT_FALSE(search(*index, r).ok());
}

// The aggregates a list's page shows: counts over time (bytes only when asked), a field's top
// values and who talks to whom, over every match or the newest `sample`.
TEST_F(SearchTest, AggregatesCountEveryMatchOrTheNewest) {
  SearchRequest r;
  r.query = "ip:10.0.0.0/8";
  auto t = timeline(*index, r, 4);
  ASSERT_TRUE(t.ok()) << t.error().message;
  std::uint64_t n = 0;
  for (const auto c : t->counts) n += c;
  EXPECT_EQ(n, 5u);
  auto counts_only = timeline(*index, r, 4, nullptr, false);
  ASSERT_TRUE(counts_only.ok());
  EXPECT_EQ(counts_only->counts, t->counts);
  for (const auto b : counts_only->bytes) EXPECT_EQ(b, 0u);

  auto top = top_values(*index, r, "client.ip", 10);
  ASSERT_TRUE(top.ok()) << top.error().message;
  ASSERT_EQ(top->size(), 4u);
  EXPECT_EQ((*top)[0].value, "10.0.0.5");  // sessions 1 and 3
  EXPECT_EQ((*top)[0].count, 2u);
  auto newest = top_values(*index, r, "client.ip", 10, nullptr, 2);  // sessions 5 and 3
  ASSERT_TRUE(newest.ok());
  ASSERT_EQ(newest->size(), 2u);
  EXPECT_EQ((*newest)[0].count + (*newest)[1].count, 2u);
  EXPECT_FALSE(top_values(*index, r, "file.size", 10).ok());  // sizes are not counted

  auto talks = talkers(*index, r, 10);
  ASSERT_TRUE(talks.ok()) << talks.error().message;
  ASSERT_EQ(talks->size(), 5u);
  auto newest_talk = talkers(*index, r, 10, nullptr, 1);
  ASSERT_TRUE(newest_talk.ok());
  ASSERT_EQ(newest_talk->size(), 1u);
  EXPECT_EQ((*newest_talk)[0].client, "10.0.0.8");  // session 5, the newest
  EXPECT_EQ((*newest_talk)[0].server, "203.0.113.99");
}

TEST_F(SearchTest, ValuesNeverBecomeSql) {
  for (const char* q :
       {"host:\"x' OR '1'='1\"", "subject:\"'; DROP TABLE sessions; --\"",
        "user:\"\\\" OR 1=1 --\"", "\"a\\\" OR b\"", "\"NEAR(a b)\"", "file.type:\"x') OR 1=1 --\"",
        "mail.to:\"*\\\"]\"", "text:\"*' UNION SELECT sql FROM sqlite_master --\""}) {
    const std::string got = found(q);
    EXPECT_EQ(got.substr(got.find(':')), ":") << q << " -> " << got;
  }
  EXPECT_EQ(found("*"), "sessions:5,3,2,1,4");  // everything is still there
}

TEST(IndexSelect, RefusesWritesAndStopsLongStatements) {
  test::TempDir dir;
  auto index =
      store::SqliteIndex::open(dir.path() + "/index.sqlite", store::SqliteIndex::Mode::kReadWrite);
  ASSERT_TRUE(index.ok());
  auto noop = [](const store::SqlRow&) { return true; };
  EXPECT_FALSE((*index)->select("DELETE FROM sessions", {}, noop).ok());
  const Status s = (*index)->select(
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c", {},
      noop, 50);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("longer than 50 ms"), std::string::npos);
}

TEST(AuditLog, ChainsEntriesAndDetectsTampering) {
  test::TempDir dir;
  const std::string path = dir.path() + "/index.sqlite";
  {
    auto index = store::SqliteIndex::open(path, store::SqliteIndex::Mode::kReadWrite);
    ASSERT_TRUE(index.ok());
    for (const char* q : {"method:POST", "user:tanaka", "sha256:abc"})
      ASSERT_TRUE(store::audit(**index, "alice", "127.0.0.1", "search", q).ok());
    auto report = store::verify_audit(**index);
    ASSERT_TRUE(report.ok());
    EXPECT_TRUE(report->ok());
    EXPECT_EQ(report->entries, 3u);
    auto newest = store::audit_entries(**index, 1);
    ASSERT_TRUE(newest.ok());
    ASSERT_EQ(newest->size(), 1u);
    EXPECT_EQ((*newest)[0].object, "sha256:abc");
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  // The log refuses changes through SQL...
  EXPECT_NE(
      sqlite3_exec(db, "UPDATE audit SET actor='mallory' WHERE id=2", nullptr, nullptr, nullptr),
      SQLITE_OK);
  EXPECT_NE(sqlite3_exec(db, "DELETE FROM audit WHERE id=2", nullptr, nullptr, nullptr), SQLITE_OK);
  // ...and one who removes the guard still cannot change it unnoticed.
  ASSERT_EQ(sqlite3_exec(db,
                         "DROP TRIGGER audit_no_update; UPDATE audit SET object='nothing' WHERE "
                         "id=2",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto index = store::SqliteIndex::open(path, store::SqliteIndex::Mode::kReadOnly);
  ASSERT_TRUE(index.ok());
  auto report = store::verify_audit(**index);
  ASSERT_TRUE(report.ok());
  ASSERT_FALSE(report->ok());
  EXPECT_NE(report->problems[0].find("entry 2"), std::string::npos);
}

// Free text answered two ways: sparse (the full-text index lists every match) and dense (the
// index counts up to the cap in its own order, the page walks time testing each row). Both
// must give the same records, whatever order ids and times are in.
TEST(FreeText, DenseAndSparsePlansAgree) {
  test::TempDir dir;
  auto opened =
      store::SqliteIndex::open(dir.path() + "/index.sqlite", store::SqliteIndex::Mode::kReadWrite);
  ASSERT_TRUE(opened.ok());
  store::SqliteIndex& ix = **opened;
  ASSERT_TRUE(ix.begin().ok());
  std::map<std::uint64_t, std::pair<TimeNs, std::string>> rows;  // id -> (ts, host + uri)
  for (std::uint64_t id = 1; id <= 600; ++id) {
    // Times not in id order, as when yesterday's capture is imported after today's.
    const records::HttpRecord h = request(
        id, static_cast<TimeNs>((id * 7919) % 600) * kNsPerSec, "GET", "shop.example.com",
        "/item?id=" + std::to_string(10000 + (id * 37) % 500) + (id % 50 == 0 ? "/Déjà/Vu" : ""));
    rows[id] = {h.ts, h.host + h.uri};
    ASSERT_TRUE(ix.insert(h).ok());
  }
  ASSERT_TRUE(ix.commit().ok());
  auto expect = [&](const std::string& needle, std::size_t n) {
    std::vector<std::pair<TimeNs, std::uint64_t>> m;
    for (const auto& [id, row] : rows)
      if (store::holds_folded(row.second, store::fold_case(needle))) m.emplace_back(row.first, id);
    std::sort(m.rbegin(), m.rend());
    std::vector<std::uint64_t> ids;
    for (std::size_t i = 0; i < m.size() && i < n; ++i) ids.push_back(m[i].second);
    return ids;
  };
  for (const char* q : {"id=10042", "item?id=1", "déjà/vu", "DÉJÀ", "id=100"}) {
    SearchRequest r;
    r.query = std::string("\"") + q + "\"";
    r.kind = Kind::kHttpRecord;
    r.limit = 20;
    auto sparse = search(ix, r);
    ASSERT_TRUE(sparse.ok()) << sparse.error().message;
    EXPECT_FALSE(sparse->total_capped) << q;
    EXPECT_EQ(sparse->total, expect(q, 10000).size()) << q;
    EXPECT_EQ(sparse->ids, expect(q, 20)) << q;
    r.count_cap = 5;
    auto dense = search(ix, r);
    ASSERT_TRUE(dense.ok()) << dense.error().message;
    EXPECT_EQ(dense->total, std::min<std::uint64_t>(5, sparse->total)) << q;
    EXPECT_EQ(dense->ids, sparse->ids) << q;
  }
  // A rare number among pieces in every row: led by its rare part.
  SearchRequest r;
  r.query = "\"item?id=10042\"";
  r.kind = Kind::kHttpRecord;
  auto compiled = compile_request(ix, r);
  ASSERT_TRUE(compiled.ok());
  EXPECT_EQ(compiled->driver_kind, records::TextKind::kHttp);
  EXPECT_EQ(compiled->driver_match.find("item"), std::string::npos) << compiled->driver_match;
  EXPECT_NE(compiled->where.find("kagami_has_text(body, ?)"), std::string::npos);
  // Text in an OR is not something every match holds.
  r.query = "\"id=10042\" OR method:POST";
  EXPECT_EQ(compile_request(ix, r)->driver_kind, records::TextKind::kNone);
}
}  // namespace
}  // namespace kagami::query

namespace kagami::query {
namespace {

// An index written by the previous version is upgraded when the writer opens it: the host
// index gains the method, records and searches are as they were.
TEST(Schema, UpgradesAVersion6IndexInPlace) {
  test::TempDir dir;
  const std::string path = dir.path() + "/index.sqlite";
  {
    auto opened = store::SqliteIndex::open(path, store::SqliteIndex::Mode::kReadWrite);
    ASSERT_TRUE(opened.ok());
    ASSERT_TRUE((*opened)->begin().ok());
    ASSERT_TRUE((*opened)->insert(request(1, 5, "POST", "upload.example.org", "/form")).ok());
    ASSERT_TRUE((*opened)->commit().ok());
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "DROP INDEX http_host_rev; CREATE INDEX http_host_rev ON "
                         "http(host_rev, ts); UPDATE meta SET value = '6' WHERE key = "
                         "'schema_version'",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  // A reader does not upgrade; it says what to do.
  auto reader = store::SqliteIndex::open(path, store::SqliteIndex::Mode::kReadOnly);
  ASSERT_FALSE(reader.ok());
  EXPECT_NE(reader.error().message.find("schema version 6"), std::string::npos);
  auto writer = store::SqliteIndex::open(path, store::SqliteIndex::Mode::kReadWrite);
  ASSERT_TRUE(writer.ok()) << writer.error().message;
  std::string definition, version;
  ASSERT_TRUE((*writer)
                  ->select("SELECT (SELECT sql FROM sqlite_master WHERE name = 'http_host_rev'), "
                           "(SELECT value FROM meta WHERE key = 'schema_version')",
                           {},
                           [&](const store::SqlRow& r) {
                             definition = r.text(0);
                             version = r.text(1);
                             return false;
                           })
                  .ok());
  EXPECT_NE(definition.find("host_rev, method, ts"), std::string::npos) << definition;
  EXPECT_EQ(version, "10");
  SearchRequest r;
  r.query = "host:*.example.org method:POST form";
  auto page = search(**writer, r);
  ASSERT_TRUE(page.ok()) << page.error().message;
  EXPECT_EQ(page->ids, (std::vector<std::uint64_t>{1}));
}

TEST(BulkLoad, BuildsIndexesAndFullTextAtTheEnd) {
  test::TempDir dir;
  auto opened =
      store::SqliteIndex::open(dir.path() + "/index.sqlite", store::SqliteIndex::Mode::kReadWrite);
  ASSERT_TRUE(opened.ok());
  store::SqliteIndex& ix = **opened;
  auto index_count = [&] {
    std::int64_t n = 0;
    EXPECT_TRUE(ix.select("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND sql IS "
                          "NOT NULL",
                          {},
                          [&](const store::SqlRow& r) {
                            n = r.i64(0);
                            return false;
                          })
                    .ok());
    return n;
  };
  const std::int64_t before = index_count();
  ASSERT_GT(before, 10);
  ASSERT_TRUE(ix.begin_bulk_load().ok());
  EXPECT_LT(index_count(), before);
  ASSERT_TRUE(ix.begin().ok());
  ASSERT_TRUE(ix.insert(request(1, 1, "GET", "bulk.example.org", "/quarterly-results")).ok());
  ASSERT_TRUE(ix.commit().ok());
  SearchRequest r;
  r.query = "quarterly-results";
  r.kind = Kind::kHttpRecord;
  auto during = search(ix, r);
  ASSERT_TRUE(during.ok());
  EXPECT_EQ(during->total, 0u);  // the full-text rows come at the end
  ASSERT_TRUE(ix.end_bulk_load().ok());
  EXPECT_EQ(index_count(), before);
  auto after = search(ix, r);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->ids, (std::vector<std::uint64_t>{1}));
  r.query = "host:*.example.org";
  EXPECT_EQ(search(ix, r)->total, 1u);
}

// The full text a bulk load makes at its end is the text each record's insert makes (its
// declaration's full_text), not a copy of it in SQL that drifts: a mail whose only recipient
// is in the envelope (a Bcc) and whose only sender is MAIL FROM is found by either, loaded
// either way.
TEST(BulkLoad, FullTextIsTheSameAsWhenRecordedLive) {
  test::TempDir dir;
  records::MailRecord m;
  m.id = 7;
  m.session_id = 9;
  m.ts = 1'000'000'000;
  m.protocol = "smtp";
  m.direction = "sent";
  m.mail_from = "envelope-sender@example.jp";
  m.rcpt_to = {"hidden-bcc@partner.example"};
  m.subject = "quarterly figures";
  for (const bool bulk : {false, true}) {
    auto opened = store::SqliteIndex::open(dir.path() + (bulk ? "/bulk.sqlite" : "/live.sqlite"),
                                           store::SqliteIndex::Mode::kReadWrite);
    ASSERT_TRUE(opened.ok());
    store::SqliteIndex& ix = **opened;
    if (bulk) {
      ASSERT_TRUE(ix.begin_bulk_load().ok());
    }
    ASSERT_TRUE(ix.begin().ok());
    ASSERT_TRUE(ix.insert(m).ok());
    ASSERT_TRUE(ix.commit().ok());
    if (bulk) {
      ASSERT_TRUE(ix.end_bulk_load().ok());
    }
    for (const char* words : {"hidden-bcc@partner", "envelope-sender@example", "quarterly"}) {
      SearchRequest r;
      r.query = std::string("\"") + words + "\"";
      r.kind = Kind::kMailRecord;
      auto page = search(ix, r);
      ASSERT_TRUE(page.ok()) << page.error().message;
      EXPECT_EQ(page->ids, (std::vector<std::uint64_t>{7})) << words << (bulk ? " bulk" : " live");
    }
  }
}

}  // namespace
}  // namespace kagami::query
