#include "kagami/proxy/http_filter.h"

#include <string>

#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

#include "kagami/proxy/alt_svc.h"

#include "support/http2_frames.h"

namespace kagami::proxy {
namespace {

using testing::Http2Writer;

TEST(AltSvc, RemovesQuicAlternativesAndKeepsTheRest) {
  EXPECT_EQ(alt_svc_without_quic(R"(h3=":443"; ma=86400)"), "");
  EXPECT_EQ(alt_svc_without_quic(R"(h3-29=":443"; ma=86400, h2="alt.example:443"; ma=60)"),
            R"(h2="alt.example:443"; ma=60)");
  EXPECT_EQ(alt_svc_without_quic(R"(h3%2D29=":443", quic=":443"; v="46,43")"), "");
  // A comma inside a quoted authority does not split the list.
  EXPECT_EQ(alt_svc_without_quic(R"(h2="a,b:443", h3=":443")"), R"(h2="a,b:443")");
  EXPECT_EQ(alt_svc_without_quic("clear"), std::nullopt);
  EXPECT_EQ(alt_svc_without_quic(R"(h2=":8443")"), std::nullopt);
  EXPECT_EQ(alt_svc_without_quic("H3=\":443\""), "");  // tolerated although ALPN ids are exact
  EXPECT_EQ(alt_svc_without_quic("%"), std::nullopt);
}

std::string as_string(const std::vector<std::uint8_t>& v) { return {v.begin(), v.end()}; }
ByteView view(const std::string& s) {
  return ByteView(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

HttpFilterOptions alt_svc() {
  HttpFilterOptions o;
  o.strip_alt_svc = true;
  return o;
}

// What the server gets of the client's bytes, fed in pieces of `step` (0: all at once).
std::string from_client(HttpFilter& f, const std::string& client, std::size_t step = 0) {
  std::vector<std::uint8_t> out;
  if (step == 0) step = client.size() + 1;
  for (std::size_t i = 0; i < client.size(); i += step) {
    const Status st = f.from_client(view(client.substr(i, step)), out);
    EXPECT_TRUE(st) << (st ? "" : st.error().message);
  }
  return as_string(out);
}

// Feeds the server's bytes in pieces of `step` (0: all at once) and returns what the client got.
std::string through(HttpFilter& f, const std::string& server, std::size_t step = 0) {
  std::vector<std::uint8_t> out;
  if (step == 0) step = server.size() + 1;
  for (std::size_t i = 0; i < server.size(); i += step)
    EXPECT_TRUE(f.from_server(view(server.substr(i, step)), out));
  f.server_ended(out);
  return as_string(out);
}

TEST(Http1Filter, RemovesH3AdvertisementsAndNothingElse) {
  const std::string request =
      "GET / HTTP/1.1\r\nHost: a\r\n\r\nHEAD /h HTTP/1.1\r\nHost: a\r\n\r\n"
      "GET /c HTTP/1.1\r\nHost: a\r\n\r\n";
  // A HEAD response announces a length but has no body; a chunked body mentions Alt-Svc.
  const std::string body = "Alt-Svc: h3=\":443\"\r\n\r\n";  // 22 bytes: chunk size 16
  const std::string chunked = "16\r\n" + body + "\r\n0\r\n\r\n";
  const std::string server =
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nalt-svc: h3=\":443\"; ma=86400\r\n"
      "X-Other: kept\r\n\r\nhello"
      "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nAlt-Svc: h2=\":8443\", h3=\":443\"\r\n\r\n"
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nAlt-Svc: h3=\":443\",\r\n "
      "h3-29=\":443\"\r\n"
      "\r\n" +
      chunked;
  const std::string expected =
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Other: kept\r\n\r\nhello"
      "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nAlt-Svc: h2=\":8443\"\r\n\r\n"
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
      chunked;
  for (std::size_t step : {0, 1, 7}) {
    auto f = make_http1_filter(alt_svc());
    from_client(*f, request);
    EXPECT_EQ(through(*f, server, step), expected) << "in pieces of " << step;
    EXPECT_EQ(f->alt_svc_stripped(), 3u);
  }
}

TEST(Http1Filter, StepsAsideForWhatIsNotHttp) {
  // A server that speaks first (IMAP over TLS has no ALPN either).
  auto imap = make_http1_filter(alt_svc());
  EXPECT_EQ(through(*imap, "* OK ready\r\n"), "* OK ready\r\n");
  // After an Upgrade the bytes belong to another protocol.
  auto ws = make_http1_filter(alt_svc());
  from_client(*ws, "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n");
  const std::string after = "\x81\x05HTTP/Alt-Svc: h3=\"\"\r\n\r\n";
  EXPECT_EQ(through(*ws, "HTTP/1.1 101 Switching\r\nUpgrade: websocket\r\n\r\n" + after),
            "HTTP/1.1 101 Switching\r\nUpgrade: websocket\r\n\r\n" + after);
  // Binary from the server, no line end in sight: nothing is held waiting for a status line
  // (an h2 server's SETTINGS on a connection whose ALPN was not h2 would wait forever).
  auto binary = make_http1_filter(alt_svc());
  from_client(*binary, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
  EXPECT_EQ(through(*binary, std::string("\0\0\x06\x04\0\0\0\0\0", 9)).size(), 9u);
  auto early = make_http1_filter(alt_svc());
  from_client(*early, "GET / HTTP/1.1\r\n");
  std::vector<std::uint8_t> out;
  ASSERT_TRUE(early->from_server(view(std::string("\0\0\x06\x04", 4)), out));
  EXPECT_EQ(out.size(), 4u);
  // A head cut by the end of the connection goes out as it came.
  auto cut = make_http1_filter(alt_svc());
  from_client(*cut, "GET / HTTP/1.1\r\n\r\n");
  EXPECT_EQ(through(*cut, "HTTP/1.1 200 OK\r\nAlt-Svc: h3"), "HTTP/1.1 200 OK\r\nAlt-Svc: h3");
}

// What an HTTP/2 client makes of the filtered bytes: every header block decoded with one
// inflater (so the proxy's encoder must have kept the client's table right), DATA collected.
struct ClientView {
  std::vector<Http2Writer::Fields> blocks;
  std::vector<std::uint8_t> types;  // of the frames, in order
  std::string data;
  std::size_t largest_frame = 0;
};

ClientView read_as_client(const std::string& bytes) {
  ClientView v;
  nghttp2_hd_inflater* inflater = nullptr;
  nghttp2_hd_inflate_new(&inflater);
  std::string block;
  std::size_t off = 0;
  while (off + 9 <= bytes.size()) {
    const auto* p = reinterpret_cast<const std::uint8_t*>(bytes.data() + off);
    const std::size_t len = (p[0] << 16) | (p[1] << 8) | p[2];
    const std::uint8_t type = p[3], flags = p[4];
    EXPECT_LE(off + 9 + len, bytes.size());
    const std::string payload = bytes.substr(off + 9, len);
    off += 9 + len;
    v.types.push_back(type);
    v.largest_frame = std::max(v.largest_frame, len);
    if (type == 0) v.data += payload;
    if (type == 1) block = payload.substr((flags & 0x20) ? 5 : 0);
    if (type == 5) block = payload.substr(4);
    if (type == 9) block += payload;
    if ((type == 1 || type == 5 || type == 9) && (flags & 0x4)) {
      Http2Writer::Fields fields;
      const auto* in = reinterpret_cast<const std::uint8_t*>(block.data());
      std::size_t left = block.size();
      while (true) {
        nghttp2_nv nv;
        int f = 0;
        const auto rv = nghttp2_hd_inflate_hd2(inflater, &nv, &f, in, left, 1);
        EXPECT_GE(rv, 0);
        if (rv < 0) break;
        in += rv;
        left -= static_cast<std::size_t>(rv);
        if (f & NGHTTP2_HD_INFLATE_EMIT)
          fields.emplace_back(std::string(reinterpret_cast<char*>(nv.name), nv.namelen),
                              std::string(reinterpret_cast<char*>(nv.value), nv.valuelen));
        if (f & NGHTTP2_HD_INFLATE_FINAL) break;
      }
      nghttp2_hd_inflate_end_headers(inflater);
      v.blocks.push_back(fields);
    }
  }
  EXPECT_EQ(off, bytes.size());
  nghttp2_hd_inflate_del(inflater);
  return v;
}

std::string client_start(const std::vector<std::pair<std::uint16_t, std::uint32_t>>& s = {}) {
  return Http2Writer::preface() + Http2Writer::settings(s);
}

TEST(Http2Filter, RemovesAltSvcFromEveryBlockAndKeepsTheClientsTableRight) {
  Http2Writer server;
  const Http2Writer::Fields first = {{":status", "200"},
                                     {"content-type", "text/html"},
                                     {"alt-svc", "h3=\":443\"; ma=86400"},
                                     {"x-request", "one"}};
  const Http2Writer::Fields second = {{":status", "200"},
                                      {"content-type", "text/html"},  // from the dynamic table
                                      {"alt-svc", "h2=\"b:443\", h3=\":443\""},
                                      {"x-request", "two"}};
  std::string wire = Http2Writer::settings();
  wire += server.headers(1, first, false);
  wire += Http2Writer::data(1, "<html>one</html>");
  wire += server.headers(3, second, false);
  wire += Http2Writer::data(3, "<html>two</html>");
  // An ALTSVC frame (RFC 7838) for the connection's origin.
  const std::string origin = "https://a.example";
  wire += Http2Writer::frame(
      0xa, 0, 0, std::string{0, static_cast<char>(origin.size())} + origin + "h3=\":443\"");
  for (std::size_t step : {0, 1, 13}) {
    auto f = make_http2_filter(alt_svc());
    from_client(*f, client_start());
    const ClientView v = read_as_client(through(*f, wire, step));
    ASSERT_EQ(v.blocks.size(), 2u);
    EXPECT_EQ(v.blocks[0],
              (Http2Writer::Fields{
                  {":status", "200"}, {"content-type", "text/html"}, {"x-request", "one"}}));
    EXPECT_EQ(v.blocks[1], (Http2Writer::Fields{{":status", "200"},
                                                {"content-type", "text/html"},
                                                {"alt-svc", "h2=\"b:443\""},
                                                {"x-request", "two"}}));
    EXPECT_EQ(v.data, "<html>one</html><html>two</html>");
    EXPECT_EQ(std::count(v.types.begin(), v.types.end(), 0xa), 0);
    EXPECT_EQ(f->alt_svc_stripped(), 3u);
  }
}

TEST(Http2Filter, SplitsBlocksAtTheClientsFrameSizeAndKeepsPushPromises) {
  Http2Writer server;
  // Random-looking values do not compress: the block is larger than one 16 KiB frame.
  std::string big;
  for (int i = 0; i < 40000; ++i) big += static_cast<char>('!' + (i * 7919) % 90);
  std::string wire = Http2Writer::settings();
  const std::string block = server.block({{":status", "200"}, {"x-big", big}});
  // The server's own frames are larger (the client allowed 64 KiB) and padded.
  wire += Http2Writer::frame(1, 0x8, 1, std::string(1, '\3') + block.substr(0, 30000) + "pad");
  wire += Http2Writer::frame(9, 0x4, 1, block.substr(30000));
  wire += server.push_promise(
      1, 2, {{":method", "GET"}, {":path", "/p"}, {":authority", "a"}, {":scheme", "https"}});
  auto f = make_http2_filter(alt_svc());
  from_client(*f, client_start({{0x5, 16384}}));
  const ClientView v = read_as_client(through(*f, wire));
  ASSERT_EQ(v.blocks.size(), 2u);
  EXPECT_EQ(v.blocks[0][1].second, big);
  EXPECT_EQ(v.blocks[1][1].second, "/p");
  EXPECT_LE(v.largest_frame, 16384u);
  EXPECT_EQ(v.types.front(), 4);  // the server's SETTINGS, untouched
  EXPECT_GE(std::count(v.types.begin(), v.types.end(), 9), 2);
}

// How many HEADERS blocks of `frames` (one frame each) decode on a decoder whose dynamic
// table holds nothing, each leaving it empty; -1 when one does not decode.
int blocks_without_a_table(const std::string& frames) {
  nghttp2_hd_inflater* strict = nullptr;
  nghttp2_hd_inflate_new(&strict);
  nghttp2_hd_inflate_change_table_size(strict, 0);
  std::size_t off = 0;
  int blocks = 0;
  while (blocks >= 0 && off + 9 <= frames.size()) {
    const auto* p = reinterpret_cast<const std::uint8_t*>(frames.data() + off);
    const std::size_t len = (p[0] << 16) | (p[1] << 8) | p[2];
    if (p[3] == 1) {
      const auto* in = p + 9;
      std::size_t left = len;
      while (true) {
        nghttp2_nv nv;
        int fl = 0;
        const auto rv = nghttp2_hd_inflate_hd2(strict, &nv, &fl, in, left, 1);
        if (rv < 0) {
          blocks = -2;
          break;
        }
        in += rv;
        left -= static_cast<std::size_t>(rv);
        if (fl & NGHTTP2_HD_INFLATE_FINAL) break;
      }
      nghttp2_hd_inflate_end_headers(strict);
      if (nghttp2_hd_inflate_get_dynamic_table_size(strict) != 0) blocks = -2;
      ++blocks;
    }
    off += 9 + len;
  }
  nghttp2_hd_inflate_del(strict);
  return blocks;
}

TEST(Http2Filter, FollowsTheClientsTableSize) {
  // The client allows no dynamic table: the proxy's encoder must not use one.
  Http2Writer server;
  std::string wire = Http2Writer::settings();
  for (std::uint32_t s = 1; s <= 5; s += 2)
    wire += server.headers(s, {{":status", "200"}, {"x-same", "value that repeats"}}, true);
  auto f = make_http2_filter(alt_svc());
  from_client(*f, client_start({{0x1, 0}}));
  const std::string out = through(*f, wire);
  const ClientView v = read_as_client(out);
  ASSERT_EQ(v.blocks.size(), 3u);
  EXPECT_EQ(blocks_without_a_table(out), 3);
}

TEST(Http2Filter, RefusesFloodsAndBrokenBlocks) {
  // CONTINUATION flood (CVE-2024-27316): a header block that never ends.
  {
    auto f = make_http2_filter(alt_svc());
    from_client(*f, client_start());
    std::vector<std::uint8_t> out;
    std::string wire = Http2Writer::frame(1, 0, 1, std::string(16384, '\x40'));
    Status s;
    for (int i = 0; i < 200 && s; ++i) {
      s = f->from_server(view(wire), out);
      wire = Http2Writer::frame(9, 0, 1, std::string(16384, '\x40'));
    }
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message.find("exceeds"), std::string::npos);
    EXPECT_LT(out.size(), 100u);  // nothing of the block reached the client
  }
  // An HPACK bomb: one large field indexed again and again.
  {
    Http2Writer server;
    auto f = make_http2_filter(alt_svc());
    from_client(*f, client_start());
    std::vector<std::uint8_t> out;
    Http2Writer::Fields fields = {{"x-bomb", std::string(3000, 'b')}};
    for (int i = 0; i < 1000; ++i) fields.push_back({"x-bomb", std::string(3000, 'b')});
    const Status s = f->from_server(view(server.headers(1, fields, true)), out);
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message.find("header list exceeds"), std::string::npos);
  }
  // Garbage for a header block, and a DATA frame inside one.
  {
    auto f = make_http2_filter(alt_svc());
    from_client(*f, client_start());
    std::vector<std::uint8_t> out;
    EXPECT_FALSE(f->from_server(view(Http2Writer::frame(1, 0x4, 1, "\xff\xff\xff\xff")), out));
    auto g = make_http2_filter(alt_svc());
    from_client(*g, client_start());
    EXPECT_FALSE(
        g->from_server(view(Http2Writer::frame(1, 0, 1, "\x88") + Http2Writer::data(1, "x")), out));
  }
  // A client that is not HTTP/2 after all: nothing is edited, either way.
  auto f = make_http2_filter(alt_svc());
  EXPECT_EQ(from_client(*f, "PRI * HTTP/1.1\r\n\r\n", 1), "PRI * HTTP/1.1\r\n\r\n");
  EXPECT_EQ(through(*f, "HTTP/1.1 200 OK\r\nAlt-Svc: h3\r\n\r\n"),
            "HTTP/1.1 200 OK\r\nAlt-Svc: h3\r\n\r\n");
}

HttpFilterOptions proxy_login(bool one_request = false) {
  HttpFilterOptions o;
  o.consume_proxy_login = true;
  o.one_request = one_request;
  return o;
}

TEST(Http1Filter, ConsumesTheProxyLoginOfRequestsToTheOrigin) {
  // Origin-form and asterisk requests lose the field (folded, any case); a body that reads
  // like one keeps its bytes; absolute-form and CONNECT requests are for a proxy further on.
  const std::string body = "Proxy-Authorization: Basic in-a-body\r\n";
  const std::string client =
      "GET /a HTTP/1.1\r\nHost: a\r\nProxy-Authorization: Basic bWFsbG9yeQ==\r\nX-Kept: 1\r\n\r\n"
      "POST /b HTTP/1.1\r\nHost: a\r\nproxy-authorization: Basic\r\n  folded\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body +
      "OPTIONS * HTTP/1.1\r\nHost: a\r\nPROXY-AUTHORIZATION: x\r\n\r\n"
      "GET http://b.example/ HTTP/1.1\r\nHost: b.example\r\nProxy-Authorization: next\r\n\r\n"
      "CONNECT c.example:443 HTTP/1.1\r\nHost: c.example:443\r\nProxy-Authorization: next\r\n\r\n";
  const std::string expected =
      "GET /a HTTP/1.1\r\nHost: a\r\nX-Kept: 1\r\n\r\n"
      "POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body +
      "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"
      "GET http://b.example/ HTTP/1.1\r\nHost: b.example\r\nProxy-Authorization: next\r\n\r\n"
      "CONNECT c.example:443 HTTP/1.1\r\nHost: c.example:443\r\nProxy-Authorization: next\r\n\r\n";
  for (std::size_t step : {0, 1, 7}) {
    auto f = make_http1_filter(proxy_login());
    EXPECT_EQ(from_client(*f, client, step), expected) << "in pieces of " << step;
    EXPECT_EQ(f->logins_consumed(), 3u);
    EXPECT_EQ(f->alt_svc_stripped(), 0u);
    // Responses pass untouched when only requests are edited.
    EXPECT_EQ(through(*f, "HTTP/1.1 200 OK\r\nAlt-Svc: h3=\":443\"\r\nContent-Length: 0\r\n\r\n"),
              "HTTP/1.1 200 OK\r\nAlt-Svc: h3=\":443\"\r\nContent-Length: 0\r\n\r\n");
  }
  // What is not HTTP/1 passes as it came, the login inside included (nothing there is read).
  auto other = make_http1_filter(proxy_login());
  EXPECT_EQ(from_client(*other, "\x16\x03\x01Proxy-Authorization: x\r\n\r\n"),
            "\x16\x03\x01Proxy-Authorization: x\r\n\r\n");
}

TEST(Http1Filter, SendsNothingAfterTheOneRequest) {
  const std::string first = "POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nbody";
  const std::string second = "GET http://other.example/ HTTP/1.1\r\nProxy-Authorization: x\r\n\r\n";
  for (std::size_t step : {0, 1, 5}) {
    auto f = make_http1_filter(proxy_login(true));
    EXPECT_EQ(from_client(*f, first + second + "more", step), first) << "in pieces of " << step;
    EXPECT_EQ(f->requests_dropped(), 1u);
  }
  // A chunked body ends with its last chunk, not before.
  auto chunked = make_http1_filter(proxy_login(true));
  const std::string head = "PUT /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  EXPECT_EQ(from_client(*chunked, head + "3\r\nabc\r\n"), head + "3\r\nabc\r\n");
  EXPECT_EQ(from_client(*chunked, "0\r\n\r\nGET / HTTP/1.1\r\n\r\n"), "0\r\n\r\n");
}

// The client's frames as a server decodes them: the preface is skipped, every block decoded.
ClientView read_as_server(const std::string& bytes) {
  const std::string preface = Http2Writer::preface();
  EXPECT_EQ(bytes.substr(0, preface.size()), preface);
  return read_as_client(bytes.substr(std::min(bytes.size(), preface.size())));
}

TEST(Http2Filter, ConsumesTheProxyLoginOfRequestsAndKeepsTheServersTableRight) {
  Http2Writer client;
  const Http2Writer::Fields get = {{":method", "GET"},
                                   {":scheme", "https"},
                                   {":authority", "a.example"},
                                   {":path", "/one"},
                                   {"proxy-authorization", "Basic bWFsbG9yeQ=="},
                                   {"authorization", "Bearer origin"}};
  Http2Writer::Fields again = get;
  again[3].second = "/two";  // the rest from the client's dynamic table
  const Http2Writer::Fields tunnel = {{":method", "CONNECT"},
                                      {":authority", "next.example:443"},
                                      {"proxy-authorization", "Basic bmV4dA=="}};
  // One after the other: each block is encoded with the table the one before left.
  std::string wire = client_start() + client.headers(1, get, true);
  wire += client.headers(3, again, false) + Http2Writer::data(3, "body");
  wire += client.headers(5, tunnel, false);
  Http2Writer::Fields want = get;
  want.erase(want.begin() + 4);
  Http2Writer::Fields want_again = want;
  want_again[3].second = "/two";
  for (std::size_t step : {0, 1, 11}) {
    auto f = make_http2_filter(proxy_login());
    const ClientView v = read_as_server(from_client(*f, wire, step));
    ASSERT_EQ(v.blocks.size(), 3u) << "in pieces of " << step;
    EXPECT_EQ(v.blocks[0], want);
    EXPECT_EQ(v.blocks[1], want_again);
    EXPECT_EQ(v.blocks[2], tunnel);
    EXPECT_EQ(v.data, "body");
    EXPECT_EQ(v.types.front(), 4);  // the client's SETTINGS, untouched
    EXPECT_EQ(f->logins_consumed(), 2u);
    // Responses pass byte for byte when only requests are edited.
    Http2Writer server;
    const std::string answer =
        Http2Writer::settings() + server.headers(1, {{":status", "200"}, {"alt-svc", "h3"}}, true);
    EXPECT_EQ(through(*f, answer), answer);
  }
}

TEST(Http2Filter, EncodesRequestsWithinTheServersTableSize) {
  // The server allows no dynamic table: once its SETTINGS are read, the proxy's encoder uses
  // none, so a strict decoder reads every later block.
  Http2Writer client;
  auto f = make_http2_filter(proxy_login());
  std::vector<std::uint8_t> ignored;
  ASSERT_TRUE(f->from_server(view(Http2Writer::settings({{0x1, 0}})), ignored));
  std::string wire = client_start();
  for (std::uint32_t s = 1; s <= 5; s += 2)
    wire += client.headers(s, {{":method", "GET"}, {":path", "/"}, {"x-same", "repeats"}}, true);
  const std::string out = from_client(*f, wire);
  EXPECT_EQ(blocks_without_a_table(out.substr(Http2Writer::preface().size())), 3);
  // A client's broken block ends the connection rather than reaching the server.
  auto g = make_http2_filter(proxy_login());
  std::vector<std::uint8_t> out2;
  EXPECT_FALSE(g->from_client(
      view(client_start() + Http2Writer::frame(1, 0x4, 1, "\xff\xff\xff\xff")), out2));
}

}  // namespace
}  // namespace kagami::proxy
