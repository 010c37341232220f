#include "kagami/console/http_request_reader.h"

#include <gtest/gtest.h>

namespace kagami::console {
namespace {

using namespace std::string_literals;

ByteView bytes(const std::string& s) {
  return ByteView(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

struct Read {
  bool done = false;
  int status = 0;  // the error's, when failed
  std::size_t used = 0;
  std::string normalized;
};

// Feeds `wire` in pieces of `step` bytes (0: all at once), as a connection would.
Read read(const std::string& wire, std::size_t step = 0, HttpRequestLimits limits = {}) {
  HttpRequestReader r(limits);
  Read out;
  std::size_t at = 0;
  while (at < wire.size() && !r.done() && !r.failed()) {
    const std::size_t n = step == 0 ? wire.size() - at : std::min(step, wire.size() - at);
    const std::size_t used = r.feed(bytes(wire.substr(at, n)));
    at += used;
    if (used < n) break;
  }
  out.done = r.done();
  out.status = r.failed() ? r.error_status() : 0;
  out.used = at;
  if (r.done()) out.normalized = r.normalized();
  return out;
}

TEST(HttpRequestReader, ReadsARequestInAnyPieces) {
  const std::string wire =
      "POST /api/login HTTP/1.1\r\nHost: console\r\nContent-Type: application/json\r\n"
      "Content-Length: 5\r\n\r\nhello";
  for (std::size_t step : {0, 1, 3, 7}) {
    const Read r = read(wire, step);
    EXPECT_TRUE(r.done) << step;
    EXPECT_EQ(r.normalized,
              "POST /api/login HTTP/1.1\r\nHost: console\r\nContent-Type: application/json\r\n"
              "Content-Length: 5\r\n\r\nhello");
  }
}

TEST(HttpRequestReader, StopsAtTheEndOfOneRequest) {
  const std::string first = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
  const Read r = read(first + "GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.used, first.size());
  EXPECT_EQ(r.normalized, first);
}

TEST(HttpRequestReader, ChunkedBodiesAreDecodedAndCounted) {
  const Read r = read(
      "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: t\r\n\r\n",
      2);
  ASSERT_TRUE(r.done);
  EXPECT_EQ(r.normalized, "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcde");
  HttpRequestLimits small;
  small.max_body_bytes = 4;
  EXPECT_EQ(read("POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n",
                 0, small)
                .status,
            413);
  // A chunk of 256 MiB is refused from its size line, before any of it is read.
  EXPECT_EQ(
      read("POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10000000\r\n").status,
      413);
}

TEST(HttpRequestReader, RefusesWhatCouldDesynchronizeAProxyInFront) {
  struct Case {
    const char* why;
    std::string wire;
    int status;
  };
  const std::string h = "POST /x HTTP/1.1\r\nHost: x\r\n";
  const Case cases[] = {
      {"both framings", h + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
      {"two lengths", h + "Content-Length: 3\r\nContent-Length: 4\r\n\r\n", 400},
      {"a signed length", h + "Content-Length: +3\r\n\r\nabc", 400},
      {"a list of lengths", h + "Content-Length: 3, 3\r\n\r\nabc", 400},
      {"another coding", h + "Transfer-Encoding: gzip, chunked\r\n\r\n", 501},
      {"chunked twice", h + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
       501},
      {"space before colon", h + "Content-Length : 3\r\n\r\nabc", 400},
      {"obs-fold", h + "X: a\r\n b\r\n\r\n", 400},
      {"bare LF", "GET /x HTTP/1.1\nHost: x\r\n\r\n", 400},
      {"bare CR", "GET /x HTTP/1.1\r\nHost: x\rY: z\r\n\r\n", 400},
      {"NUL in a value", "GET /x HTTP/1.1\r\nHost: x\r\nX: a\0b\r\n\r\n"s, 400},
      {"no Host", "GET /x HTTP/1.1\r\n\r\n", 400},
      {"two Hosts", "GET /x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
      {"chunked in 1.0", "POST /x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
      {"absolute form", "GET http://evil/ HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400},
      {"HTTP/1.2", "GET / HTTP/1.2\r\nHost: x\r\n\r\n", 505},
      {"bad chunk size", h + "Transfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
      {"chunk without CRLF", h + "Transfer-Encoding: chunked\r\n\r\n1\r\naX\r\n", 400},
      {"odd expectation", h + "Expect: 200-ok\r\nContent-Length: 1\r\n\r\na", 417},
      {"a space in the target", "GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", 400},
  };
  for (const Case& c : cases) EXPECT_EQ(read(c.wire).status, c.status) << c.why;
}

TEST(HttpRequestReader, BoundsTheHeadAndTheBody) {
  EXPECT_EQ(read("GET /" + std::string(9000, 'a') + " HTTP/1.1\r\n").status, 414);
  EXPECT_EQ(read("GET / HTTP/1.1\r\nHost: x\r\nX: " + std::string(20000, 'a')).status, 431);
  std::string many = "GET / HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 101; ++i) many += "X" + std::to_string(i) + ": y\r\n";
  EXPECT_EQ(read(many + "\r\n").status, 431);
  EXPECT_EQ(read("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 268435456\r\n\r\n").status, 413);
  EXPECT_EQ(
      read("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n").status,
      400);
  EXPECT_EQ(read(std::string(20, '\r') + "\n").status, 400);
}

TEST(HttpRequestReader, KnowsKeepAliveExpectAndEmptyLinesFirst) {
  HttpRequestReader r({});
  const std::string wire =
      "\r\nPOST /x HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nConnection: close\r\n"
      "Content-Length: 2\r\n\r\n";
  EXPECT_EQ(r.feed(bytes(wire)), wire.size());
  EXPECT_TRUE(r.head_done());
  EXPECT_TRUE(r.expects_continue());
  EXPECT_FALSE(r.keep_alive());
  EXPECT_EQ(r.feed(bytes("ok")), 2u);
  ASSERT_TRUE(r.done());
  EXPECT_EQ(r.normalized().find("Expect"), std::string::npos);
  r.reset();
  EXPECT_FALSE(r.started());
  const std::string old = "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
  EXPECT_EQ(r.feed(bytes(old)), old.size());
  EXPECT_TRUE(r.done());
  EXPECT_TRUE(r.keep_alive());
  EXPECT_TRUE(r.http10());
}

}  // namespace
}  // namespace kagami::console
