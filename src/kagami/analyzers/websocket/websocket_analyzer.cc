// WebSocket (RFC 6455) after an HTTP/1.1 Upgrade: the session's messages, read by
// WebSocketMessages (which HTTP/2's extended CONNECT streams use too).
#include <memory>

#include "kagami/analyzers/analyzer.h"
#include "kagami/analyzers/websocket/websocket_messages.h"

namespace kagami::analyzers {
namespace {

WebSocketMessages::Origin origin_of(const SessionState& s) {
  WebSocketMessages::Origin o;
  if (!s.upgrade) return o;
  o.host = s.upgrade->request.host;
  o.uri = s.upgrade->request.uri;
  if (const std::string* ext = s.upgrade->response.find("Sec-WebSocket-Extensions"))
    o.extensions = *ext;
  return o;
}

class WebSocketAnalyzer final : public Analyzer {
 public:
  WebSocketAnalyzer(SessionState& s, AnalyzerContext& cx) : messages_(s, cx, origin_of(s)) {}

  wire::Progress on_data(Direction dir, TimeNs ts, ByteView bytes) override {
    return messages_.feed(dir == Direction::kClientToServer, ts, bytes);
  }
  void on_gap(Direction dir, TimeNs ts, std::uint64_t bytes) override {
    messages_.gap(dir == Direction::kClientToServer, ts, bytes);
  }
  void on_end(Direction, TimeNs) override {}
  void on_close(TimeNs ts) override { messages_.close(ts); }

 private:
  WebSocketMessages messages_;
};

// Only after an HTTP/1.1 Upgrade to "websocket": frames alone do not say WebSocket.
Verdict detect(const DetectInput& in) {
  if (in.transport != 6 || in.session == nullptr || !in.session->upgrade) return Verdict::kNo;
  return in.session->upgrade->protocol == "websocket" ? Verdict::kYes : Verdict::kNo;
}

std::unique_ptr<Analyzer> create(SessionState& s, AnalyzerContext& cx) {
  return std::make_unique<WebSocketAnalyzer>(s, cx);
}

}  // namespace

extern const AnalyzerSpec kWebSocketAnalyzer{"websocket", detect, create};

}  // namespace kagami::analyzers
