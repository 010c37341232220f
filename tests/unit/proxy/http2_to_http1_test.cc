#include "kagami/proxy/http2_to_http1.h"

#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

#include "support/http2_frames.h"

namespace kagami::proxy {
namespace {

using testing::Http2Writer;

ByteView view(const std::string& s) {
  return ByteView(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

// A real HTTP/2 client (nghttp2's client session) on the other side of the bridge.
class Client {
 public:
  struct Response {
    int status = 0;
    std::vector<int> interim;
    std::map<std::string, std::string> headers;
    std::string body;
    bool closed = false;
    std::uint32_t error = 0;
  };

  Client() {
    nghttp2_session_callbacks* cb = nullptr;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_close);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame);
    nghttp2_session_client_new(&s_, cb, this);
    nghttp2_session_callbacks_del(cb);
    nghttp2_submit_settings(s_, NGHTTP2_FLAG_NONE, nullptr, 0);
  }
  ~Client() { nghttp2_session_del(s_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  std::int32_t request(const std::string& method, const std::string& path,
                       Http2Writer::Fields extra = {},
                       std::optional<std::string> body = std::nullopt) {
    Http2Writer::Fields f = {
        {":method", method}, {":scheme", "https"}, {":authority", "site.test"}, {":path", path}};
    f.insert(f.end(), extra.begin(), extra.end());
    return send(std::move(f), std::move(body));
  }
  std::int32_t send(Http2Writer::Fields f, std::optional<std::string> body = std::nullopt) {
    std::vector<nghttp2_nv> nv;
    for (auto& [n, v] : f)
      nv.push_back({reinterpret_cast<std::uint8_t*>(n.data()),
                    reinterpret_cast<std::uint8_t*>(v.data()), n.size(), v.size(),
                    NGHTTP2_NV_FLAG_NONE});
    nghttp2_data_provider provider{};
    std::string* source = nullptr;
    if (body) {
      bodies_.push_back(std::make_unique<std::string>(*body));
      source = bodies_.back().get();
      provider.source.ptr = source;
      provider.read_callback = read_body;
    }
    return nghttp2_submit_request(s_, nullptr, nv.data(), nv.size(), body ? &provider : nullptr,
                                  nullptr);
  }
  void reset(std::int32_t stream) {
    nghttp2_submit_rst_stream(s_, NGHTTP2_FLAG_NONE, stream, NGHTTP2_CANCEL);
  }
  std::string drain() {
    std::string out;
    const std::uint8_t* data = nullptr;
    ssize_t n;
    while ((n = nghttp2_session_mem_send(s_, &data)) > 0)
      out.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
    return out;
  }
  void take(const std::vector<std::uint8_t>& bytes) {
    ASSERT_GE(nghttp2_session_mem_recv(s_, bytes.data(), bytes.size()), 0);
  }

  std::map<std::int32_t, Response> got;
  std::int32_t goaway_last = -1;

 private:
  static Client& self(void* u) { return *static_cast<Client*>(u); }
  static int on_header(nghttp2_session*, const nghttp2_frame* f, const std::uint8_t* name,
                       std::size_t nl, const std::uint8_t* value, std::size_t vl, std::uint8_t,
                       void* u) {
    Response& r = self(u).got[f->hd.stream_id];
    const std::string n(reinterpret_cast<const char*>(name), nl);
    const std::string v(reinterpret_cast<const char*>(value), vl);
    if (n == ":status") {
      const int status = std::stoi(v);
      if (status < 200)
        r.interim.push_back(status);
      else
        r.status = status;
    } else {
      r.headers[n] = v;
    }
    return 0;
  }
  static int on_data(nghttp2_session*, std::uint8_t, std::int32_t id, const std::uint8_t* d,
                     std::size_t n, void* u) {
    self(u).got[id].body.append(reinterpret_cast<const char*>(d), n);
    return 0;
  }
  static int on_close(nghttp2_session*, std::int32_t id, std::uint32_t code, void* u) {
    Response& r = self(u).got[id];
    r.closed = true;
    r.error = code;
    return 0;
  }
  static int on_frame(nghttp2_session*, const nghttp2_frame* f, void* u) {
    if (f->hd.type == NGHTTP2_GOAWAY) self(u).goaway_last = f->goaway.last_stream_id;
    return 0;
  }
  static ssize_t read_body(nghttp2_session*, std::int32_t, std::uint8_t* buf, std::size_t len,
                           std::uint32_t* flags, nghttp2_data_source* src, void*) {
    auto* s = static_cast<std::string*>(src->ptr);
    const std::size_t n = std::min(len, s->size());
    std::memcpy(buf, s->data(), n);
    s->erase(0, n);
    if (s->empty()) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }

  nghttp2_session* s_ = nullptr;
  std::vector<std::unique_ptr<std::string>> bodies_;
};

// The bridge between the client and a scripted HTTP/1.1 server: what the server was sent
// accumulates in `server`.
struct Rig {
  std::unique_ptr<Http2ToHttp1> bridge = Http2ToHttp1::make(Http2ToHttp1::Options{
      /*strip_alt_svc=*/true, /*max_head_bytes=*/64u << 10, /*default_authority=*/"site.test"});
  Client client;
  std::string server;
  BridgeOutput out;

  void deliver() {
    server.append(out.to_server.begin(), out.to_server.end());
    client.take(out.to_client);
    out.clear();
  }
  // The client's pending frames go through, and whatever comes back, until nothing moves.
  void step() {
    for (int i = 0; i < 64; ++i) {
      const std::string c = client.drain();
      if (c.empty()) return;
      ASSERT_TRUE(bridge->from_client(view(c), out));
      deliver();
    }
  }
  // The server answers, in pieces of `piece` bytes.
  void answer(const std::string& bytes, std::size_t piece = 0) {
    if (piece == 0) piece = bytes.size();
    for (std::size_t i = 0; i < bytes.size(); i += piece) {
      bridge->from_server(view(bytes.substr(i, piece)), out);
      deliver();
      step();
    }
  }
  // Requests the server was sent since the last call.
  std::string take_server() { return std::exchange(server, {}); }
};

TEST(Http2ToHttp1, RequestsGoToTheServerOneAtATimeAndResponsesComeBackAsHttp2) {
  Rig r;
  const auto a = r.client.request("GET", "/a", {{"cookie", "a=1"}, {"cookie", "b=2"}});
  const auto b = r.client.request("GET", "/b?q=1");
  const auto c = r.client.request("HEAD", "/c");
  r.step();
  // One request on the server at a time: HTTP/1.1 has no streams (and pipelining is not safe).
  EXPECT_EQ(r.take_server(), "GET /a HTTP/1.1\r\nHost: site.test\r\ncookie: a=1; b=2\r\n\r\n");
  r.answer(
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\n"
      "Keep-Alive: timeout=5\r\nAlt-Svc: h3=\":443\"; ma=60\r\nX-Kept: yes\r\n\r\nhello",
      1);
  EXPECT_EQ(r.take_server(), "GET /b?q=1 HTTP/1.1\r\nHost: site.test\r\n\r\n");
  r.answer("HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 7);
  EXPECT_EQ(r.take_server(), "HEAD /c HTTP/1.1\r\nHost: site.test\r\n\r\n");
  r.answer("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");

  const Client::Response& ra = r.client.got[a];
  EXPECT_EQ(ra.status, 200);
  EXPECT_EQ(ra.body, "hello");
  EXPECT_TRUE(ra.closed);
  EXPECT_EQ(ra.error, 0u);
  EXPECT_EQ(ra.headers.count("x-kept"), 1u);
  EXPECT_EQ(ra.headers.at("content-length"), "5");
  for (const char* gone : {"connection", "keep-alive", "x-hop", "alt-svc"})
    EXPECT_EQ(ra.headers.count(gone), 0u) << gone;
  const Client::Response& rb = r.client.got[b];
  EXPECT_EQ(rb.status, 404);
  EXPECT_EQ(rb.body, "abc");
  EXPECT_EQ(rb.headers.count("transfer-encoding"), 0u);
  const Client::Response& rc = r.client.got[c];
  EXPECT_EQ(rc.status, 200);
  EXPECT_EQ(rc.body, "");
  EXPECT_TRUE(rc.closed);
  EXPECT_EQ(r.bridge->requests(), 3u);
  EXPECT_EQ(r.bridge->stripped(), 1u);
  EXPECT_FALSE(r.bridge->server_done());
  EXPECT_EQ(r.bridge->held_for_client(), 0u);
}

// A proxy login in a request is for the proxy, when the proxy was named (CONNECT): the
// server never sees it; the origin's own Authorization goes on.
TEST(Http2ToHttp1, TheProxyLoginIsConsumedWhenAsked) {
  for (bool consume : {true, false}) {
    Rig r;
    r.bridge = Http2ToHttp1::make(
        Http2ToHttp1::Options{true, 64u << 10, "site.test", /*consume_proxy_login=*/consume});
    r.client.request(
        "GET", "/a",
        {{"proxy-authorization", "Basic bWFsbG9yeQ=="}, {"authorization", "Bearer t"}});
    r.step();
    EXPECT_EQ(r.take_server(), std::string("GET /a HTTP/1.1\r\nHost: site.test\r\n") +
                                   (consume ? "" : "proxy-authorization: Basic bWFsbG9yeQ==\r\n") +
                                   "authorization: Bearer t\r\n\r\n");
    EXPECT_EQ(r.bridge->logins_consumed(), consume ? 1u : 0u);
  }
}

// Decodes a chunked body as a server would.
std::string dechunk(std::string s) {
  std::string body;
  while (true) {
    const std::size_t eol = s.find("\r\n");
    const std::size_t n = std::stoul(s.substr(0, eol), nullptr, 16);
    if (n == 0) return body;
    body += s.substr(eol + 2, n);
    s.erase(0, eol + 2 + n + 2);
  }
}

TEST(Http2ToHttp1, RequestBodiesAreChunkedUnlessTheirLengthIsKnown) {
  Rig r;
  std::string big(200000, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  const auto up = r.client.request("PUT", "/up", {}, big);
  const auto known = r.client.request("POST", "/known", {{"content-length", "5"}}, "hello");
  const auto empty = r.client.request("POST", "/empty");
  r.step();
  std::string sent = r.take_server();
  const std::string head =
      "PUT /up HTTP/1.1\r\nHost: site.test\r\ntransfer-encoding: chunked\r\n\r\n";
  ASSERT_EQ(sent.substr(0, head.size()), head);
  // More than a stream's first window: the bridge opened it as the bytes went on.
  EXPECT_EQ(dechunk(sent.substr(head.size())), big);
  r.answer("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(r.take_server(),
            "POST /known HTTP/1.1\r\nHost: site.test\r\ncontent-length: 5\r\n\r\nhello");
  r.answer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  EXPECT_EQ(r.take_server(),
            "POST /empty HTTP/1.1\r\nHost: site.test\r\ncontent-length: 0\r\n\r\n");
  r.answer("HTTP/1.1 204 No Content\r\n\r\n");
  EXPECT_EQ(r.client.got[up].status, 201);
  EXPECT_EQ(r.client.got[known].body, "ok");
  EXPECT_EQ(r.client.got[empty].status, 204);
  EXPECT_TRUE(r.client.got[empty].closed);
}

TEST(Http2ToHttp1, AServerThatClosesEndsTheClientConnectionAndRefusesWaitingStreams) {
  Rig r;
  const auto a = r.client.request("GET", "/a", {{"expect", "100-continue"}});
  const auto b = r.client.request("GET", "/b");
  const auto c = r.client.request("GET", "/c");
  r.step();
  r.take_server();
  // An interim 100 passes as an interim head; "Connection: close" means no request after this.
  r.answer(
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nConnection: close\r\n"
      "Content-Length: 2\r\n\r\nok");
  EXPECT_EQ(r.take_server(), "");
  EXPECT_TRUE(r.bridge->server_done());
  EXPECT_EQ(r.client.got[a].interim, std::vector<int>{100});
  EXPECT_EQ(r.client.got[a].body, "ok");
  EXPECT_EQ(r.client.goaway_last, a);
  for (const auto id : {b, c}) {
    EXPECT_TRUE(r.client.got[id].closed) << id;
    EXPECT_EQ(r.client.got[id].error, static_cast<std::uint32_t>(NGHTTP2_REFUSED_STREAM)) << id;
  }
  r.bridge->server_ended(r.out);
  r.deliver();
  r.step();
  EXPECT_TRUE(r.bridge->finished());
}

TEST(Http2ToHttp1, AResponseCutByTheServerIsResetAndOneEndedByTheCloseIsWhole) {
  {
    Rig r;
    const auto a = r.client.request("GET", "/a");
    r.step();
    r.answer("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc");
    r.bridge->server_ended(r.out);
    r.deliver();
    EXPECT_EQ(r.client.got[a].body, "abc");
    EXPECT_EQ(r.client.got[a].error, static_cast<std::uint32_t>(NGHTTP2_INTERNAL_ERROR));
  }
  {
    Rig r;
    const auto a = r.client.request("GET", "/a");
    r.step();
    r.answer("HTTP/1.0 200 OK\r\n\r\nabc");
    r.bridge->server_ended(r.out);
    r.deliver();
    EXPECT_EQ(r.client.got[a].status, 200);
    EXPECT_EQ(r.client.got[a].body, "abc");
    EXPECT_TRUE(r.client.got[a].closed);
    EXPECT_EQ(r.client.got[a].error, 0u);
  }
}

TEST(Http2ToHttp1, AServerThatDoesNotSpeakHttp1GivesTheClientA502) {
  Rig r;
  const auto a = r.client.request("GET", "/a");
  const auto b = r.client.request("GET", "/b");
  r.step();
  r.take_server();
  r.answer(std::string("\x16\x03\x01\x02\x00garbage\r\n\r\n", 17));
  EXPECT_EQ(r.client.got[a].status, 502);
  EXPECT_EQ(r.client.got[b].error, static_cast<std::uint32_t>(NGHTTP2_REFUSED_STREAM));
  EXPECT_TRUE(r.bridge->server_done());
  EXPECT_NE(r.bridge->take_server_error().find("HTTP/1"), std::string::npos);
  EXPECT_EQ(r.take_server(), "");
}

TEST(Http2ToHttp1, ACancelledRequestsAnswerIsReadAndDropped) {
  Rig r;
  const auto a = r.client.request("GET", "/a");
  const auto b = r.client.request("GET", "/b");
  r.step();
  r.take_server();
  r.client.reset(a);
  r.step();
  r.answer("HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\ndroppe", 4);
  r.answer("d");
  // The server's connection stays in step: the next request follows the dropped answer.
  EXPECT_EQ(r.take_server(), "GET /b HTTP/1.1\r\nHost: site.test\r\n\r\n");
  r.answer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  EXPECT_EQ(r.client.got[a].body, "");
  EXPECT_EQ(r.client.got[b].status, 200);
  EXPECT_EQ(r.client.got[b].body, "ok");
  EXPECT_EQ(r.bridge->held_for_client(), 0u);
}

// Smuggling: HTTP/2 carries any byte in a field; an HTTP/1 server reads a line break, a blank
// in the path or a hop-by-hop field as framing. Such streams are reset and never reach it.
TEST(Http2ToHttp1, WhatTheServerWouldReadAsFramingNeverReachesIt) {
  auto bridge = Http2ToHttp1::make({});
  Http2Writer w;
  const Http2Writer::Fields base = {
      {":method", "GET"}, {":scheme", "https"}, {":authority", "site.test"}};
  auto with = [&](Http2Writer::Fields extra) {
    Http2Writer::Fields f = base;
    f.insert(f.end(), extra.begin(), extra.end());
    return f;
  };
  const std::vector<Http2Writer::Fields> hostile = {
      with({{":path", "/a HTTP/1.1\r\nX: y"}}),
      with({{":path", "/a b"}}),
      with({{":path", "/a"}, {"x-evil", "a\r\nInjected: 1"}}),
      with({{":path", "/a"}, {"x-evil", "a\nb"}}),
      with({{":path", "/a"}, {"bad name", "x"}}),
      with({{":path", "/a"}, {"transfer-encoding", "chunked"}}),
      with({{":path", "/a"}, {"connection", "close"}}),
      {{":method", "GET"}, {":scheme", "https"}, {":authority", "a b\r\nX: y"}, {":path", "/a"}},
      {{":method", "GET / HTTP/1.1\r\n"}, {":scheme", "https"}, {":path", "/a"}},
  };
  std::string in = Http2Writer::preface() + Http2Writer::settings();
  std::uint32_t id = 1;
  for (const auto& f : hostile) {
    in += w.headers(id, f, true);
    id += 2;
  }
  in += w.headers(id, with({{":path", "/ok"}}), true);
  BridgeOutput out;
  ASSERT_TRUE(bridge->from_client(view(in), out));
  const std::string server(out.to_server.begin(), out.to_server.end());
  EXPECT_EQ(server, "GET /ok HTTP/1.1\r\nHost: site.test\r\n\r\n");
  // Each hostile stream got RST_STREAM.
  std::set<std::uint32_t> reset;
  const auto& c = out.to_client;
  for (std::size_t i = 0; i + 9 <= c.size();) {
    const std::size_t len = (c[i] << 16) | (c[i + 1] << 8) | c[i + 2];
    const std::uint32_t stream =
        ((c[i + 5] & 0x7fu) << 24) | (c[i + 6] << 16) | (c[i + 7] << 8) | c[i + 8];
    if (c[i + 3] == Http2Writer::kRstStream) reset.insert(stream);
    i += 9 + len;
  }
  for (std::uint32_t s = 1; s < id; s += 2) EXPECT_TRUE(reset.count(s)) << "stream " << s;
  EXPECT_FALSE(reset.count(id));
}

TEST(Http2ToHttp1, ATunnelInsideAStreamIsRefused) {
  Rig r;
  const auto c = r.client.send({{":method", "CONNECT"}, {":authority", "other.test:443"}});
  const auto ok = r.client.request("GET", "/ok");
  r.step();
  EXPECT_EQ(r.client.got[c].status, 501);
  EXPECT_EQ(r.take_server(), "GET /ok HTTP/1.1\r\nHost: site.test\r\n\r\n");
  (void)ok;
}

}  // namespace
}  // namespace kagami::proxy
