// WebSocket through the analyzer after a real upgrade: masked and fragmented messages with a
// control frame between the pieces, permessage-deflate with and without context takeover,
// binary messages kept as files; and as attackers send it: giant and endless messages,
// compression bombs, reserved opcodes. Bounded work and a flagged record, never a crash.
#include <algorithm>
#include <string>

#include <gtest/gtest.h>
#include <zlib.h>

#include "support/http2_frames.h"
#include "unit/analyzers/harness.h"

namespace kagami::testing {
namespace {

std::string upgrade(const std::string& extensions = "") {
  return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" +
         (extensions.empty() ? "" : "Sec-WebSocket-Extensions: " + extensions + "\r\n") + "\r\n";
}
constexpr const char* kRequest =
    "GET /chat HTTP/1.1\r\nHost: ws.example.jp\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
    "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n";

// One frame; a client's is masked.
std::string frame(std::uint8_t opcode, const std::string& payload, bool fin = true,
                  bool masked = false, bool rsv1 = false) {
  std::string f;
  f.push_back(static_cast<char>((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode));
  const std::uint8_t m = masked ? 0x80 : 0;
  if (payload.size() < 126) {
    f.push_back(static_cast<char>(m | payload.size()));
  } else if (payload.size() < 65536) {
    f.push_back(static_cast<char>(m | 126));
    f.push_back(static_cast<char>(payload.size() >> 8));
    f.push_back(static_cast<char>(payload.size()));
  } else {
    f.push_back(static_cast<char>(m | 127));
    for (int i = 7; i >= 0; --i) f.push_back(static_cast<char>(payload.size() >> (8 * i)));
  }
  const char key[4] = {0x12, 0x34, 0x56, 0x78};
  std::string p = payload;
  if (masked) {
    f.append(key, 4);
    for (std::size_t i = 0; i < p.size(); ++i) p[i] ^= key[i & 3];
  }
  return f + p;
}

// permessage-deflate's compressor: raw deflate, each message flushed and its empty tail cut
// (RFC 7692 7.2.1); `takeover` keeps the window between messages.
class Deflater {
 public:
  Deflater() { deflateInit2(&z_, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY); }
  ~Deflater() { deflateEnd(&z_); }
  std::string message(const std::string& in, bool takeover) {
    std::string out(in.size() + 64, '\0');
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z_.avail_in = static_cast<uInt>(in.size());
    z_.next_out = reinterpret_cast<Bytef*>(out.data());
    z_.avail_out = static_cast<uInt>(out.size());
    deflate(&z_, Z_SYNC_FLUSH);
    out.resize(out.size() - z_.avail_out - 4);  // without 00 00 ff ff
    if (!takeover) deflateReset(&z_);
    return out;
  }

 private:
  z_stream z_{};
};

TEST(WebSocketAnalyzer, FragmentsControlFramesAndMaskingMakeMessages) {
  AnalyzerHarness h;
  auto s = h.tcp(8080);
  h.send(*s, kC2S, kRequest);
  h.send(*s, kS2C, upgrade());
  std::string c2s = frame(1, "secret plans: ", false, true) + frame(9, "hb", true, true) +
                    frame(0, "part two", true, true);
  h.send_split(*s, kC2S, c2s, 3);
  h.send(*s, kS2C, frame(10, "hb") + frame(8, std::string("\x03\xe8", 2) + "bye"));
  s->close(2);
  ASSERT_EQ(h.records.websocket.size(), 4u);
  const auto& ping = h.records.websocket[0];  // the control frame ends first
  EXPECT_EQ(ping.opcode, "ping");
  const auto& text = h.records.websocket[1];
  EXPECT_EQ(text.opcode, "text");
  EXPECT_EQ(text.sender, "client");
  EXPECT_EQ(text.text, "secret plans: part two");
  EXPECT_EQ(text.frames, 2u);
  EXPECT_EQ(text.host, "ws.example.jp");
  EXPECT_EQ(text.uri, "/chat");
  EXPECT_EQ(h.records.websocket[2].opcode, "pong");
  const auto& close = h.records.websocket[3];
  EXPECT_EQ(close.close_code, 1000);
  EXPECT_EQ(close.text, "bye");
  for (const auto& r : h.records.websocket) EXPECT_EQ(r.flags, 0u) << r.opcode;
  EXPECT_EQ(s->state().apps, (std::vector<std::string>{"http", "websocket"}));
}

TEST(WebSocketAnalyzer, PermessageDeflateWithAndWithoutContextTakeover) {
  for (bool takeover : {true, false}) {
    SCOPED_TRACE(takeover);
    AnalyzerHarness h;
    auto s = h.tcp(80);
    h.send(*s, kC2S, kRequest);
    h.send(*s, kS2C,
           upgrade(takeover ? "permessage-deflate"
                            : "permessage-deflate; server_no_context_takeover"));
    Deflater d;
    const std::string msg = "the quarterly numbers: 1234, 5678, 9012";
    // The second message repeats the first: with takeover it is a back-reference only.
    std::string s2c = frame(1, d.message(msg, takeover), true, false, true);
    s2c += frame(1, d.message(msg, takeover), true, false, true);
    h.send(*s, kS2C, s2c);
    s->close(2);
    ASSERT_EQ(h.records.websocket.size(), 2u);
    for (const auto& r : h.records.websocket) {
      EXPECT_TRUE(r.compressed);
      EXPECT_EQ(r.text, msg);
      EXPECT_EQ(r.size, msg.size());
      EXPECT_EQ(r.flags, 0u);
    }
    if (takeover) {
      EXPECT_LT(h.records.websocket[1].wire, h.records.websocket[0].wire);
    }
  }
}

TEST(WebSocketAnalyzer, ABinaryMessageIsKeptAsAFile) {
  AnalyzerHarness h;
  auto s = h.tcp(80);
  h.send(*s, kC2S, kRequest);
  h.send(*s, kS2C, upgrade());
  const std::string blob = "MZ" + std::string(5000, '\x90');
  h.send(*s, kS2C, frame(2, blob));
  h.send(*s, kS2C, frame(2, "tiny"));  // under the bound: a record, no file
  s->close(2);
  ASSERT_EQ(h.records.websocket.size(), 2u);
  ASSERT_FALSE(h.records.websocket[0].sha256.empty());
  EXPECT_EQ(h.file_bytes(h.records.websocket[0].sha256), blob);
  ASSERT_EQ(h.records.events.size(), 1u);
  EXPECT_EQ(h.records.events[0].protocol, "websocket");
  EXPECT_EQ(h.records.events[0].direction, "received");
  EXPECT_TRUE(h.records.websocket[1].sha256.empty());
}

TEST(WebSocketAnalyzer, GiantEndlessAndBombMessagesAreBounded) {
  AnalyzerHarness h;
  h.limits.max_websocket_message_bytes = 64u << 10;
  auto s = h.tcp(80);
  h.send(*s, kC2S, kRequest);
  h.send(*s, kS2C, upgrade("permessage-deflate"));
  // 1 MB of zeros compresses to about a kilobyte.
  Deflater d;
  std::string bomb = d.message(std::string(1u << 20, '\0'), true);
  ASSERT_LT(bomb.size(), 4096u);
  h.send(*s, kS2C, frame(2, bomb, true, false, true));
  // A message that never ends: 200 fragments of 4 KB and no FIN.
  std::string endless = frame(2, std::string(4096, 'x'), false, true);
  for (int i = 0; i < 200; ++i) endless += frame(0, std::string(4096, 'x'), false, true);
  h.send_split(*s, kC2S, endless, 1400);
  s->close(2);
  ASSERT_EQ(h.records.websocket.size(), 2u);
  const auto& b = h.records.websocket[0];
  EXPECT_TRUE(b.flags & records::kWsSizeLimit);
  EXPECT_LE(h.file_bytes(b.sha256).size(), 64u << 10);
  const auto& e = h.records.websocket[1];
  EXPECT_TRUE(e.flags & records::kWsPartial);
  EXPECT_TRUE(e.flags & records::kWsSizeLimit);
  EXPECT_EQ(e.frames, 201u);
  EXPECT_EQ(e.size, 201u * 4096);
}

TEST(WebSocketAnalyzer, AReservedOpcodeStopsTheDirectionAndIsFlagged) {
  AnalyzerHarness h;
  auto s = h.tcp(80);
  h.send(*s, kC2S, kRequest);
  h.send(*s, kS2C, upgrade());
  h.send(*s, kC2S,
         frame(1, "before", true, true) + frame(5, "junk", true, true) +
             frame(1, "after", true, true));
  s->close(2);
  ASSERT_EQ(h.records.websocket.size(), 1u);
  EXPECT_EQ(h.records.websocket[0].text, "before");
  EXPECT_EQ(h.log_once.count("websocket.reserved_opcode"), 1u);
  EXPECT_TRUE(s->state().analyzer_violation);
}

// RFC 8441: a WebSocket over an HTTP/2 stream opened by extended CONNECT. The frames ride in
// DATA, cut anywhere (a frame head across two DATA frames), beside an ordinary stream.
TEST(WebSocketAnalyzer, OverHttp2ExtendedConnectStreamsCarryMessages) {
  Http2Writer client, server;
  std::string c2s = Http2Writer::preface() + Http2Writer::settings();
  c2s += client.headers(1,
                        {{":method", "CONNECT"},
                         {":protocol", "websocket"},
                         {":scheme", "https"},
                         {":authority", "chat.example.jp"},
                         {":path", "/room/7"},
                         {"sec-websocket-version", "13"},
                         {"sec-websocket-extensions", "permessage-deflate"}},
                        false);
  c2s += client.headers(3,
                        {{":method", "GET"},
                         {":scheme", "https"},
                         {":authority", "chat.example.jp"},
                         {":path", "/logo.png"}},
                        true);
  const std::string ws_c2s =
      frame(1, "my number is 1234 5678 9012", true, true) + frame(8, "\x03\xe8", true, true);
  c2s += Http2Writer::data(1, ws_c2s.substr(0, 1), false);  // the frame head, cut
  c2s += Http2Writer::data(1, ws_c2s.substr(1), false);
  Deflater d;
  std::string s2c = Http2Writer::settings({{8, 1}});  // SETTINGS_ENABLE_CONNECT_PROTOCOL
  s2c += server.headers(1, {{":status", "200"}, {"sec-websocket-extensions", "permessage-deflate"}},
                        false);
  s2c += server.headers(3, {{":status", "404"}}, true);
  s2c += Http2Writer::data(1, frame(1, d.message("welcome to room 7", true), true, false, true),
                           false);
  s2c += Http2Writer::data(1, frame(8, "\x03\xe8"), true);
  for (std::size_t piece : {100000u, 5u}) {
    SCOPED_TRACE(piece);
    AnalyzerHarness h;
    auto s = h.tcp(443);
    h.send_split(*s, kC2S, c2s, piece);
    h.send_split(*s, kS2C, s2c, piece);
    s->close(2);
    ASSERT_EQ(h.records.websocket.size(), 4u);
    std::vector<std::string> seen;
    for (const auto& r : h.records.websocket) {
      EXPECT_EQ(r.stream, 1u);
      EXPECT_EQ(r.host, "chat.example.jp");
      EXPECT_EQ(r.uri, "/room/7");
      EXPECT_EQ(r.flags, 0u) << r.opcode;
      seen.push_back(r.sender + " " + r.opcode + " " + r.text);
    }
    std::sort(seen.begin(), seen.end());
    EXPECT_EQ(seen,
              (std::vector<std::string>{"client close ", "client text my number is 1234 5678 9012",
                                        "server close ", "server text welcome to room 7"}));
    ASSERT_EQ(h.records.http.size(), 2u);
    for (const auto& r : h.records.http) {
      if (r.stream == 1) {
        EXPECT_TRUE(r.flags & records::kHttpWebSocket);
        EXPECT_EQ(r.status, 200);
        EXPECT_TRUE(r.files.empty());  // the frames are messages, not a body
      } else {
        EXPECT_EQ(r.status, 404);
      }
    }
  }
}

}  // namespace
}  // namespace kagami::testing
