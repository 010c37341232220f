// HTTP/2 through the analyzer as peers send it (header blocks compressed by nghttp2's own
// deflater) and as attackers do: rapid reset, endless CONTINUATION, HPACK bombs, broken
// tables. Every stream is a record; bad input gets bounded work and a flag, never a crash.
#include <string>

#include <gtest/gtest.h>

#include "support/archive_builder.h"
#include "support/http2_frames.h"
#include "unit/analyzers/harness.h"

namespace kagami::testing {
namespace {

using H2 = Http2Writer;

bool has(const records::HttpRecord& r, records::HttpFlag f) { return (r.flags & f) != 0; }

const records::HttpRecord* on_stream(const CollectedRecords& c, std::uint32_t stream) {
  for (const auto& r : c.http)
    if (r.stream == stream) return &r;
  return nullptr;
}

TEST(Http2Analyzer, PriorKnowledgeStreamsAreRecordsAndTheirBodiesFiles) {
  // Each side's blocks are compressed in wire order (one HPACK table per side), so each is
  // appended by a statement of its own: the operands of one `+` have no order.
  H2 client, server;
  std::string c2s = H2::preface() + H2::settings({{1, 8192}});
  c2s += client.headers(1,
                        {{":method", "GET"},
                         {":scheme", "http"},
                         {":authority", "files.example.jp"},
                         {":path", "/docs/report.pdf?v=2"},
                         {"user-agent", "curl/7.88.1"},
                         {"referer", "http://files.example.jp/"},
                         {"authorization", "Basic dGFybzpzZWNyZXQ="}},
                        true);
  c2s += client.headers(3,
                        {{":method", "POST"},
                         {":scheme", "http"},
                         {":authority", "files.example.jp"},
                         {":path", "/upload"},
                         {"content-type", "text/plain"}},
                        false);
  c2s += H2::data(3, "confidential ", false) + H2::data(3, "notes");
  const std::string body = test::gzip_bytes("%PDF-1.4 hello pdf");
  std::string s2c = H2::settings();
  s2c += server.headers(
      1, {{":status", "200"}, {"content-type", "application/pdf"}, {"content-encoding", "gzip"}},
      false);
  s2c += H2::data(1, body.substr(0, 5), false) + H2::data(1, body.substr(5));
  s2c += server.headers(3, {{":status", "201"}}, true);
  for (std::size_t piece : {100000u, 7u, 1u}) {
    SCOPED_TRACE(piece);
    AnalyzerHarness h;
    auto s = h.tcp(8443);  // not a web port: the preface tells
    h.send_split(*s, kC2S, c2s, piece);
    h.send_split(*s, kS2C, s2c, piece);
    s->close(2);
    ASSERT_EQ(h.records.http.size(), 2u);
    EXPECT_EQ(s->state().apps, std::vector<std::string>{"http2"});
    const auto* get = on_stream(h.records, 1);
    ASSERT_NE(get, nullptr);
    EXPECT_EQ(get->version, "HTTP/2");
    EXPECT_EQ(get->method, "GET");
    EXPECT_EQ(get->host, "files.example.jp");
    EXPECT_EQ(get->uri, "/docs/report.pdf?v=2");
    EXPECT_EQ(get->user_agent, "curl/7.88.1");
    EXPECT_EQ(get->referer, "http://files.example.jp/");
    EXPECT_EQ(get->user, "taro");
    EXPECT_EQ(get->status, 200);
    EXPECT_EQ(get->resp_content_type, "application/pdf");
    EXPECT_EQ(get->resp_bytes, body.size());
    EXPECT_EQ(get->flags, 0u);
    ASSERT_EQ(get->files.size(), 1u);
    EXPECT_EQ(h.file_bytes(get->files[0]), "%PDF-1.4 hello pdf");  // gzip undone
    const auto* post = on_stream(h.records, 3);
    ASSERT_NE(post, nullptr);
    EXPECT_EQ(post->method, "POST");
    EXPECT_EQ(post->status, 201);
    EXPECT_EQ(post->req_bytes, 18u);
    ASSERT_EQ(post->files.size(), 1u);
    EXPECT_EQ(h.file_bytes(post->files[0]), "confidential notes");
    EXPECT_EQ(h.counters.violations.get(), 0u);
  }
}

TEST(Http2Analyzer, ContinuationsTrailersResetsAndGoawayAreRead) {
  AnalyzerHarness h;
  auto s = h.tcp(80);
  H2 client, server;
  // Stream 1's request block split over HEADERS and two CONTINUATIONs.
  const std::string block = client.block({{":method", "POST"},
                                          {":scheme", "http"},
                                          {":authority", "grpc.example.jp"},
                                          {":path", "/pkg.Service/Call"},
                                          {"content-type", "application/grpc"},
                                          {"te", "trailers"}});
  ASSERT_GT(block.size(), 10u);
  std::string c2s = H2::preface() + H2::settings() +
                    H2::frame(H2::kHeaders, 0, 1, block.substr(0, 4)) +
                    H2::frame(H2::kContinuation, 0, 1, block.substr(4, 4)) +
                    H2::frame(H2::kContinuation, H2::kEndHeaders, 1, block.substr(8)) +
                    H2::data(1, std::string("\0\0\0\0\2hi", 7));
  // Stream 3: cancelled by the client before any answer. Stream 5 is sent after the server's
  // GOAWAY said it reads nothing past stream 3.
  c2s += client.headers(3, {{":method", "GET"}, {":scheme", "http"}, {":path", "/slow"}}, true) +
         H2::rst(3);
  std::string s2c = H2::settings();
  s2c += server.headers(1, {{":status", "200"}, {"content-type", "application/grpc"}}, false);
  s2c += H2::data(1, std::string("\0\0\0\0\2ok", 7), false);
  s2c += server.headers(1, {{"grpc-status", "0"}}, true);
  s2c += H2::goaway(3);
  h.send(*s, kC2S, c2s);
  h.send(*s, kS2C, s2c);
  h.send(*s, kC2S,
         client.headers(5, {{":method", "GET"}, {":scheme", "http"}, {":path", "/late"}}, true));
  s->close(2);
  ASSERT_EQ(h.records.http.size(), 3u);
  const auto* call = on_stream(h.records, 1);
  ASSERT_NE(call, nullptr);
  EXPECT_EQ(call->uri, "/pkg.Service/Call");
  EXPECT_EQ(call->host, "grpc.example.jp");
  EXPECT_EQ(call->status, 200);
  EXPECT_TRUE(has(*call, records::kHttpTrailers));
  EXPECT_FALSE(has(*call, records::kHttpPartial));
  const auto* cancelled = on_stream(h.records, 3);
  ASSERT_NE(cancelled, nullptr);
  EXPECT_TRUE(has(*cancelled, records::kHttpReset));
  EXPECT_TRUE(has(*cancelled, records::kHttpNoResponse));
  const auto* late = on_stream(h.records, 5);
  ASSERT_NE(late, nullptr);
  EXPECT_TRUE(has(*late, records::kHttpGoaway));
  EXPECT_TRUE(has(*late, records::kHttpNoResponse));
}

TEST(Http2Analyzer, ServerPushIsRecordedAsTheRequestItPromised) {
  AnalyzerHarness h;
  auto s = h.tcp(80);
  H2 client, server;
  h.send(*s, kC2S,
         H2::preface() + client.headers(1,
                                        {{":method", "GET"},
                                         {":scheme", "http"},
                                         {":authority", "example.jp"},
                                         {":path", "/"}},
                                        true));
  std::string s2c = server.push_promise(1, 2,
                                        {{":method", "GET"},
                                         {":scheme", "http"},
                                         {":authority", "example.jp"},
                                         {":path", "/style.css"}});
  s2c += server.headers(1, {{":status", "200"}}, false);
  s2c += H2::data(1, "<html>");
  s2c += server.headers(2, {{":status", "200"}, {"content-type", "text/css"}}, false);
  s2c += H2::data(2, "body{}");
  h.send(*s, kS2C, s2c);
  s->close(2);
  ASSERT_EQ(h.records.http.size(), 2u);
  const auto* pushed = on_stream(h.records, 2);
  ASSERT_NE(pushed, nullptr);
  EXPECT_EQ(pushed->uri, "/style.css");
  EXPECT_TRUE(has(*pushed, records::kHttpPushed));
  ASSERT_EQ(pushed->files.size(), 1u);
  EXPECT_EQ(h.file_bytes(pushed->files[0]), "body{}");
}

TEST(Http2Analyzer, RapidResetIsCountedNotRecordedBeyondItsBound) {
  AnalyzerHarness h;
  h.limits.max_http2_reset_records = 50;
  auto s = h.tcp(443);
  H2 client;
  std::string c2s = H2::preface() + H2::settings();
  for (std::uint32_t id = 1; id < 2 * 400; id += 2)
    c2s += client.headers(id, {{":method", "GET"}, {":scheme", "https"}, {":path", "/"}}, true) +
           H2::rst(id);
  h.send_split(*s, kC2S, c2s, 1400);
  s->close(2);
  EXPECT_EQ(h.records.http.size(), 50u);
  EXPECT_EQ(h.log_once.count("http2.rapid_reset"), 1u);
  EXPECT_TRUE(s->state().analyzer_limit);
}

TEST(Http2Analyzer, AHeaderBlockThatNeverEndsStopsAtItsBound) {
  // CVE-2024-27316: CONTINUATION after CONTINUATION, never END_HEADERS.
  AnalyzerHarness h;
  h.limits.http2.max_header_block_bytes = 64u << 10;
  auto s = h.tcp(80);
  H2 client;
  std::string c2s =
      H2::preface() + H2::frame(H2::kHeaders, 0, 1, client.block({{":method", "GET"}}));
  for (int i = 0; i < 200; ++i) c2s += H2::frame(H2::kContinuation, 0, 1, std::string(1000, '\0'));
  h.send_split(*s, kC2S, c2s, 1400);
  s->close(2);
  EXPECT_EQ(h.log_once.count("http2.header_block_limit"), 1u);
  EXPECT_TRUE(h.records.http.empty());  // no block ended: no request was read
  EXPECT_TRUE(s->state().analyzer_violation);
}

TEST(Http2Analyzer, AnHpackBombIsCutAtTheHeaderListBound) {
  // One 4000-byte field put in the dynamic table, then referenced 10000 times by one byte
  // each: 14 KB on the wire, 40 MB of fields.
  AnalyzerHarness h;
  auto s = h.tcp(80);
  std::string block = "\x82\x84\x86";  // :method GET, :path /, :scheme http (static table)
  block += "\x40\x06x-bomb";           // literal, incremental indexing, new name
  block += "\x7f\xa1\x1e";             // value length 4000 (7-bit prefix integer)
  block += std::string(4000, 'B');
  block += std::string(10000, '\xbe');  // index 62: the entry just added
  h.send(*s, kC2S,
         H2::preface() + H2::frame(H2::kHeaders, H2::kEndHeaders | H2::kEndStream, 1, block));
  s->close(2);
  ASSERT_EQ(h.records.http.size(), 1u);
  EXPECT_EQ(h.records.http[0].method, "GET");
  EXPECT_TRUE(has(h.records.http[0], records::kHttpHeaderLimit));
}

TEST(Http2Analyzer, AnUnreadableHeaderBlockFlagsItsStreamAndTheRestOfTheDirection) {
  AnalyzerHarness h;
  auto s = h.tcp(80);
  H2 server;
  // Index 70 of a dynamic table that is empty.
  h.send(*s, kC2S,
         H2::preface() + H2::frame(H2::kHeaders, H2::kEndHeaders | H2::kEndStream, 1, "\x82\xc6"));
  h.send(*s, kS2C, server.headers(1, {{":status", "404"}}, true));
  s->close(2);
  ASSERT_EQ(h.records.http.size(), 1u);
  EXPECT_TRUE(has(h.records.http[0], records::kHttpMalformed));
  EXPECT_EQ(h.records.http[0].status, 404);  // the other direction has its own table
  EXPECT_EQ(h.log_once.count("http2.hpack"), 1u);
}

// example.jp A, as a DNS message (id 0, as RFC 8484 asks of DoH clients).
std::string dns_query() {
  return std::string("\0\0\1\0\0\1\0\0\0\0\0\0\7example\2jp\0\0\1\0\1", 28);
}
std::string dns_answer() {
  std::string a("\0\0\x81\x80\0\1\0\1\0\0\0\0\7example\2jp\0\0\1\0\1", 28);
  return a + std::string("\xc0\x0c\0\1\0\1\0\0\0\x3c\0\4\xc0\0\2\7", 16);
}

TEST(Http2Analyzer, DnsOverHttpsIsRecordedAsDns) {
  AnalyzerHarness h;
  auto s = h.tcp(443);
  H2 client, server;
  // GET carries the query base64url-encoded in the target; POST in its body.
  const std::string get_target = "/dns-query?dns=AAABAAABAAAAAAAAB2V4YW1wbGUCanAAAAEAAQ";
  std::string c2s = H2::preface();
  c2s += client.headers(1,
                        {{":method", "GET"},
                         {":scheme", "https"},
                         {":authority", "dns.example.net"},
                         {":path", get_target},
                         {"accept", "application/dns-message"}},
                        true);
  c2s += client.headers(3,
                        {{":method", "POST"},
                         {":scheme", "https"},
                         {":authority", "dns.example.net"},
                         {":path", "/dns-query"},
                         {"content-type", "application/dns-message"}},
                        false);
  c2s += H2::data(3, dns_query());
  h.send(*s, kC2S, c2s);
  for (std::uint32_t id : {1u, 3u})
    h.send(*s, kS2C,
           server.headers(id, {{":status", "200"}, {"content-type", "application/dns-message"}},
                          false) +
               H2::data(id, dns_answer()));
  s->close(2);
  EXPECT_EQ(h.records.http.size(), 2u);
  ASSERT_EQ(h.records.dns.size(), 2u);
  for (const auto& d : h.records.dns) {
    EXPECT_EQ(d.via, "https");
    EXPECT_EQ(d.query, "example.jp");
    EXPECT_EQ(d.qtype, "A");
    EXPECT_EQ(d.rcode, "NOERROR");
    EXPECT_EQ(d.answers, std::vector<std::string>{"A 192.0.2.7"});
  }
  EXPECT_TRUE(h.records.files.empty());  // DNS messages are records, not files
}

TEST(Http2Analyzer, AnUpgradeToH2cMakesStreamOneTheUpgradedRequest) {
  AnalyzerHarness h;
  auto s = h.tcp(80);
  H2 server;
  h.send(*s, kC2S,
         "GET /index.html HTTP/1.1\r\nHost: example.jp\r\nConnection: Upgrade, HTTP2-Settings\r\n"
         "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n");
  // The 101, the server's SETTINGS and stream 1's answer in one segment.
  h.send(*s, kS2C,
         "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n" +
             H2::settings() + server.headers(1, {{":status", "200"}}, false) +
             H2::data(1, "upgraded!"));
  h.send(*s, kC2S, H2::preface() + H2::settings());
  s->close(2);
  ASSERT_EQ(h.records.http.size(), 2u);
  EXPECT_EQ(h.records.http[0].status, 101);
  EXPECT_EQ(h.records.http[0].version, "HTTP/1.1");
  const auto* one = on_stream(h.records, 1);
  ASSERT_NE(one, nullptr);
  EXPECT_EQ(one->version, "HTTP/2");
  EXPECT_EQ(one->uri, "/index.html");
  EXPECT_EQ(one->host, "example.jp");
  EXPECT_EQ(one->status, 200);
  ASSERT_EQ(one->files.size(), 1u);
  EXPECT_EQ(h.file_bytes(one->files[0]), "upgraded!");
  EXPECT_EQ(s->state().apps, (std::vector<std::string>{"http", "http2"}));
  EXPECT_EQ(h.counters.violations.get(), 0u);
}

}  // namespace
}  // namespace kagami::testing
