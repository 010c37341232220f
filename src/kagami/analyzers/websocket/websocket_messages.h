#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "kagami/analyzers/analyzer.h"
#include "kagami/wire/websocket_parser.h"

namespace kagami::analyzers {

// The messages of one WebSocket connection (RFC 6455), however it was opened: after an
// HTTP/1.1 Upgrade (analyzers/websocket) or on an HTTP/2 stream opened by extended CONNECT
// (RFC 8441, analyzers/http2). One record per message, however many frames carried it, and
// per control frame; masking undone; permessage-deflate (RFC 7692) undone with and without
// context takeover; text kept (bounded) and searchable; binary messages over a size bound
// kept as files and inspected like any other.
class WebSocketMessages {
 public:
  // Where the connection came from: the request that opened it and what the server agreed to.
  struct Origin {
    std::string host, uri;
    std::uint32_t stream = 0;  // HTTP/2's stream, 0 over HTTP/1.1
    std::string extensions;    // the response's Sec-WebSocket-Extensions
  };
  WebSocketMessages(SessionState& s, AnalyzerContext& cx, Origin origin);
  ~WebSocketMessages();
  WebSocketMessages(const WebSocketMessages&) = delete;
  WebSocketMessages& operator=(const WebSocketMessages&) = delete;

  // One direction's bytes, as a TCP stream delivers them: what is not consumed comes again.
  wire::Progress feed(bool client, TimeNs ts, ByteView bytes);
  // One direction's bytes in pieces that do not come again (HTTP/2 DATA): a frame head cut
  // between two pieces is kept until the rest arrives.
  void feed_all(bool client, TimeNs ts, ByteView bytes);
  void gap(bool client, TimeNs ts, std::uint64_t bytes);
  // The connection ended: unfinished messages are recorded as partial.
  void close(TimeNs ts);

 private:
  class Reader;  // one direction's frames and messages
  SessionState& s_;
  AnalyzerContext& cx_;
  Origin origin_;
  bool deflate_ = false;
  bool no_takeover_[2] = {false, false};  // client's messages, server's messages
  TimeNs now_ = 0;
  std::unique_ptr<Reader> client_, server_;
};

}  // namespace kagami::analyzers
