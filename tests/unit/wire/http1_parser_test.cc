#include "kagami/wire/http1_parser.h"

#include <string>

#include <gtest/gtest.h>

namespace kagami::wire {
namespace {

// A response stream as a browser would take it apart: heads, bodies, the tricks reported.
struct Collected : HttpEvents {
  std::vector<HttpHead> heads;
  std::vector<std::string> bodies;
  std::vector<std::uint32_t> evasions;  // per message: the head's and later ones
  std::vector<std::string> violations;
  void on_head(const HttpHead& h) override {
    heads.push_back(h);
    bodies.emplace_back();
    evasions.push_back(h.evasions);
  }
  void on_body(ByteView b) override { bodies.back() += std::string(as_chars(b)); }
  void on_body_gap(std::uint64_t) override {}
  void on_message_end(bool) override {}
  void on_violation(std::string_view what) override { violations.emplace_back(what); }
  void on_evasion(std::uint32_t e) override { evasions.back() |= e; }
};

Collected responses(const std::string& wire, const std::string& method = "GET") {
  Collected c;
  HttpLimits limits;
  Http1Parser p(Http1Parser::Side::kResponses, limits, c);
  p.expect_response_to(method);
  p.feed(as_bytes(wire));
  p.end();
  return c;
}

TEST(Http1Evasions, PlainMessagesShowNoTricks) {
  for (const std::string wire :
       {"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        "HTTP/1.0 200 OK\r\n\r\nabc",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding:\tchunked \r\n\r\n3\r\nabc\r\n0\r\n\r\n"}) {
    const Collected c = responses(wire);
    ASSERT_EQ(c.heads.size(), 1u) << wire;
    EXPECT_EQ(c.bodies[0], "abc") << wire;
    EXPECT_EQ(c.evasions[0], 0u) << wire << ": " << http_evasion_names(c.evasions[0]).size();
  }
}

TEST(Http1Evasions, TransferEncodingIsReadAsBrowsersReadIt) {
  const std::string chunks = "3\r\nabc\r\n0\r\n\r\n";
  struct Case {
    std::string head;
    std::string body;  // what a browser shows
    std::uint32_t evasions;
  } cases[] = {
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: CHUNKED\r\n\r\n", "abc", kEvasionTransferEncoding},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: identity, chunked\r\n\r\n", "abc",
       kEvasionTransferEncoding},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, identity\r\n\r\n", "abc",
       kEvasionTransferEncoding},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: foo\r\nTransfer-Encoding: chunked\r\n\r\n", "abc",
       kEvasionTransferEncoding},
      {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", "abc",
       kEvasionTransferEncoding},
      // Not chunked: the body runs to the close, chunk lines and all.
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked;\r\n\r\n", chunks, kEvasionTransferEncoding},
      {"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", chunks, kEvasionChunkedHttp10},
      // Header syntax.
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding : chunked\r\n\r\n", "abc", kEvasionHeaderSyntax},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding:\r\n chunked\r\n\r\n", "abc",
       kEvasionFolding | kEvasionTransferEncoding},
      {"HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n", "abc", kEvasionLineEnds},
      {"HTTP/1.10 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "abc", kEvasionStatusLine},
  };
  for (const Case& k : cases) {
    const Collected c = responses(k.head + chunks);
    ASSERT_EQ(c.heads.size(), 1u) << k.head;
    EXPECT_EQ(c.bodies[0], k.body) << k.head;
    EXPECT_EQ(c.evasions[0], k.evasions) << k.head;
  }
}

TEST(Http1Evasions, LengthsAndChunkLines) {
  Collected c = responses("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc");
  EXPECT_EQ(c.bodies[0], "abc");
  EXPECT_EQ(c.evasions[0], kEvasionContentLength);
  c = responses("HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\nabc");
  EXPECT_EQ(c.evasions[0], kEvasionContentLength);
  for (const std::string size : {"3;x=y", "0003", "3  ", " 3"}) {
    c = responses("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + size +
                  "\r\nabc\r\n0\r\n\r\n");
    EXPECT_EQ(c.bodies[0], "abc") << size;
    EXPECT_EQ(c.evasions[0], kEvasionChunkSize) << size;
  }
  c = responses("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\n0\n\n");
  EXPECT_EQ(c.bodies[0], "abc");
  EXPECT_EQ(c.evasions[0], kEvasionLineEnds);
  EXPECT_EQ(http_evasion_names(kEvasionChunkSize | kEvasionGzipHeader),
            (std::vector<std::string>{"chunk_size", "gzip_header"}));
}

TEST(Http1Evasions, TheTricksOfOneMessageDoNotStickToTheNext) {
  const Collected c = responses(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x\r\nabc\r\n0\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nde");
  ASSERT_EQ(c.heads.size(), 2u);
  EXPECT_EQ(c.evasions[0], kEvasionChunkSize);
  EXPECT_EQ(c.evasions[1], 0u);
  EXPECT_EQ(c.bodies[1], "de");
}

// The proxy's response filter edits heads: the parser stops after each head and each end.
TEST(Http1Parser, PausesAtHeadsAndMessageEnds) {
  Collected c;
  HttpLimits limits;
  Http1Parser p(Http1Parser::Side::kResponses, limits, c);
  p.pause_at_boundaries();
  const std::string head1 = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n";
  const std::string head2 = "HTTP/1.1 204 No Content\r\n\r\n";
  const std::string wire = head1 + "abc" + head2 + "HTTP/1.1 200 OK\r\n\r\nrest";
  std::size_t off = 0;
  std::vector<std::size_t> stops;
  while (off < wire.size()) {
    const Progress pr = p.feed(as_bytes(wire).subspan(off));
    ASSERT_GT(pr.consumed, 0u);
    off += pr.consumed;
    stops.push_back(off);
  }
  EXPECT_EQ(stops, (std::vector<std::size_t>{head1.size(), head1.size() + 3,
                                             head1.size() + 3 + head2.size(), wire.size() - 4,
                                             wire.size()}));
}

}  // namespace
}  // namespace kagami::wire
