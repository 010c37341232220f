// HTTP/1 through the analyzer as servers and clients send it, and as attackers do: pipelined
// and chunked messages, early answers, lying lengths, endless headers, compression bombs.
// Bad input gets bounded work and a flagged record, never a crash or a hang.
#include <string>

#include <gtest/gtest.h>

#include "unit/analyzers/harness.h"

namespace kagami::testing {
namespace {

// gzip of 1 MiB of zeros (1,051 bytes): a 1000:1 bomb.
std::string gzip_bomb() {
  const unsigned char head[] = {0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
                                0x03, 0xed, 0xc1, 0x31, 0x01, 0x00, 0x00, 0x00, 0xc2,
                                0xa0, 0xf5, 0x4f, 0x6d, 0x08, 0x5f, 0xa0};
  const unsigned char tail[] = {0x3e, 0x03, 0x1c, 0xea, 0x38, 0xa7, 0x00, 0x00, 0x10, 0x00};
  return std::string(reinterpret_cast<const char*>(head), sizeof head) + std::string(1016, '\0') +
         std::string(reinterpret_cast<const char*>(tail), sizeof tail);
}

TEST(HttpAnalyzer, PipelinedKeepAliveChunkedWithTrailers) {
  for (std::size_t piece : {100000u, 5u, 1u}) {
    SCOPED_TRACE(piece);
    AnalyzerHarness h;
    auto s = h.tcp(8080);  // not port 80: the request line tells
    h.send_split(
        *s, kC2S,
        "GET /a.txt HTTP/1.1\r\nHost: example.jp\r\nAuthorization: Basic dGFybzpzZWNyZXQ=\r\n"
        "\r\nHEAD /b HTTP/1.1\r\nHost: example.jp\r\n\r\nGET /c HTTP/1.1\r\nHost: "
        "example.jp\r\n\r\n",
        piece);
    h.send_split(
        *s, kS2C,
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n"
        "0\r\nX-Trailer: t\r\n\r\n"
        "HTTP/1.1 200 OK\r\nContent-Length: 999\r\n\r\n"  // HEAD: no body whatever it says
        "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n",
        piece);
    s->close(2);
    ASSERT_EQ(h.records.http.size(), 3u);
    EXPECT_EQ(h.records.http[0].uri, "/a.txt");
    EXPECT_EQ(h.records.http[0].user, "taro");
    EXPECT_EQ(h.records.http[0].resp_bytes, 11u);
    ASSERT_EQ(h.records.http[0].files.size(), 1u);
    EXPECT_EQ(h.file_bytes(h.records.http[0].files[0]), "hello world");
    EXPECT_EQ(h.records.http[1].method, "HEAD");
    EXPECT_EQ(h.records.http[1].resp_bytes, 0u);
    EXPECT_EQ(h.records.http[2].status, 304);
    for (const auto& r : h.records.http) EXPECT_EQ(r.flags, 0u) << r.uri;
  }
}

TEST(HttpAnalyzer, AnEarlyAnswerWaitsForTheUploadItAnswers) {
  AnalyzerHarness h;
  auto s = h.tcp(80);
  const std::string body =
      "--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"secret.txt\"\r\n\r\n"
      "confidential\r\n--b--\r\n";
  h.send(*s, kC2S,
         "POST /up HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"
         "Content-Length: " +
             std::to_string(body.size()) + "\r\n\r\n" + body.substr(0, 20));
  h.send(*s, kS2C, "HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\n\r\n");
  h.send(*s, kC2S, body.substr(20));
  s->close(2);
  ASSERT_EQ(h.records.http.size(), 1u);
  EXPECT_EQ(h.records.http[0].status, 413);
  EXPECT_EQ(h.records.http[0].req_bytes, body.size());
  bool uploaded = false;
  for (const auto& e : h.records.events)
    uploaded = uploaded || (e.name == "secret.txt" && e.field == "f" && !e.partial &&
                            h.file_bytes(e.sha256) == "confidential");
  EXPECT_TRUE(uploaded);
}

TEST(HttpAnalyzer, ACompressionBombIsCutAtItsBoundAndFlagged) {
  AnalyzerHarness h;
  h.limits.decode.max_output_bytes = 64u << 10;
  auto s = h.tcp(80);
  const std::string bomb = gzip_bomb();
  h.send(*s, kC2S, "GET /z HTTP/1.1\r\nHost: x\r\n\r\n");
  h.send(*s, kS2C,
         "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " +
             std::to_string(bomb.size()) + "\r\n\r\n" + bomb);
  s->close(2);
  ASSERT_EQ(h.records.http.size(), 1u);
  EXPECT_TRUE(h.records.http[0].flags & records::kHttpBodyLimit);
  EXPECT_EQ(h.records.http[0].resp_bytes, bomb.size());
  for (const auto& f : h.records.files) EXPECT_LE(f.size, 64u << 10);
}

TEST(HttpAnalyzer, ALyingContentLengthLeavesAPartialRecord) {
  AnalyzerHarness h;
  auto s = h.tcp(80);
  h.send(*s, kC2S, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
  h.send(*s, kS2C, "HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\nonly this");
  s->on_end(kS2C, 2);
  s->close(2);
  ASSERT_EQ(h.records.http.size(), 1u);
  EXPECT_TRUE(h.records.http[0].flags & records::kHttpPartial);
  ASSERT_EQ(h.records.events.size(), 1u);
  EXPECT_TRUE(h.records.events[0].partial);
  EXPECT_EQ(h.file_bytes(h.records.events[0].sha256), "only this");
}

TEST(HttpAnalyzer, EndlessHeadersAreBoundedAndFlagged) {
  AnalyzerHarness h;
  h.limits.http.max_head_bytes = 8192;
  auto s = h.tcp(80);
  h.send(*s, kC2S, "GET / HTTP/1.1\r\nHost: x\r\n");
  const std::string header = "X-Padding: " + std::string(100, 'a') + "\r\n";
  for (int i = 0; i < 2000; ++i) h.send(*s, kC2S, header);  // 220 KB of header, no end
  s->close(2);
  // Bounded: what is held never grows with the attack, and the session says why it stopped.
  EXPECT_TRUE(s->state().analyzer_violation || s->state().analyzer_limit);
  for (const auto& r : h.records.http)
    EXPECT_TRUE(r.flags & (records::kHttpMalformed | records::kHttpHeaderLimit)) << r.flags;
}

TEST(HttpAnalyzer, ChunkSizesThatLieAreMalformedNotFatal) {
  AnalyzerHarness h;
  auto s = h.tcp(80);
  h.send(*s, kC2S, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  h.send(*s, kS2C,
         "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\nxx\r\n");
  s->close(2);
  ASSERT_EQ(h.records.http.size(), 1u);
  EXPECT_TRUE(h.records.http[0].flags & (records::kHttpMalformed | records::kHttpPartial));
}

}  // namespace
}  // namespace kagami::testing
