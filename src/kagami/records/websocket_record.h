#pragma once

#include <cstdint>
#include <iterator>
#include <string>
#include <vector>

#include "kagami/base/time.h"
#include "kagami/records/endpoints.h"
#include "kagami/records/record_schema.h"

namespace kagami::records {

enum WebSocketFlag : std::uint32_t {
  kWsPartial = 1u << 0,      // the connection ended, or a gap cut it, before the message did
  kWsSizeLimit = 1u << 1,    // larger than the bound: counted whole, kept up to the bound
  kWsDecodeError = 1u << 2,  // permessage-deflate could not be undone
  kWsMalformed = 1u << 3,    // a frame broke the protocol's rules; the direction stops there
};

inline std::vector<std::string> websocket_flag_names(std::uint32_t flags) {
  static constexpr const char* kNames[] = {"partial", "size_limit", "decode_error", "malformed"};
  std::vector<std::string> out;
  for (std::size_t i = 0; i < std::size(kNames); ++i)
    if (flags & (1u << i)) out.emplace_back(kNames[i]);
  return out;
}

// One WebSocket message (RFC 6455): a text or binary message however many frames carried it,
// or a control frame (close, ping, pong). Text is kept (bounded) and searchable; a binary
// message over a size bound is kept as a file and inspected like any other.
struct WebSocketRecord {
  std::uint64_t id = 0;
  std::uint64_t session_id = 0;
  Endpoints endpoints;
  TimeNs ts = 0;           // the message's first frame
  std::string sender;      // "client" or "server"
  std::string opcode;      // "text", "binary", "close", "ping", "pong", or the number
  std::uint64_t size = 0;  // the payload, unmasked and decompressed
  std::uint64_t wire = 0;  // the payload as framed (compressed)
  std::uint32_t frames = 0;
  bool compressed = false;  // permessage-deflate
  std::string text;         // a text message, a close reason: the first bytes, as UTF-8
  int close_code = 0;
  std::string host, uri;     // the upgrade request's
  std::uint32_t stream = 0;  // HTTP/2's stream (RFC 8441), 0 after an HTTP/1.1 Upgrade
  std::string sha256;        // a binary message kept as a file
  std::uint32_t flags = 0;

  static constexpr RecordType kType{.kind = "websocket",
                                    .table = "websocket",
                                    .noun = "WebSocket message(s)",
                                    .help = "list WebSocket messages",
                                    .id_column = "id",
                                    .host_column = "host",
                                    .title = "WebSocket messages",
                                    .title_ja = "WebSocket メッセージ"};
  static constexpr Column kColumns[] = {
      {"TIME (UTC)", "時刻", Shown::kTime, "ts", {}, 27},
      {"CLIENT", "クライアント", Shown::kEndpoint, "client", {}, 23},
      {"SERVER", "サーバー", Shown::kEndpoint, "server", {}, 23},
      {"SENDER", "送信元", Shown::kText, "sender", {}, 6},
      {"OPCODE", "種類", Shown::kText, "opcode", {}, 6},
      {"SIZE", "サイズ", Shown::kNumber, "size", {}, 8, 0, true},
      {"TEXT", "テキスト", Shown::kText, "text", "sha256", 0, 80, false, 2}};
  template <class Self, class V>
  static void describe(Self& r, V& v) {
    v(r.id, as::id("id", "the message's number").ja("メッセージの番号"));
    v(r.session_id, as::ref("session_id", "the session that carried it").ja("運んだセッション"));
    Endpoints::describe(r.endpoints, v);
    v(r.ts, as::time("ts", "the message's first frame").ja("メッセージの最初のフレーム"));
    v(r.sender, as::name_of_set("sender", "who sent it: client or server")
                    .ja("送信側: client または server")
                    .searched("ws.sender", "", "who sent a WebSocket message: client, server"));
    v(r.opcode, as::name_of_set("opcode", "text, binary, close, ping, pong")
                    .ja("text、binary、close、ping、pong")
                    .searched("ws.opcode", "", "WebSocket message type: text, binary"));
    v(r.size, as::size("size", "its payload, unmasked and decompressed")
                  .ja("ペイロード (マスク解除・伸張後)")
                  .searched("ws.size", "", "WebSocket message size"));
    v(r.wire,
      as::size("wire", "its payload as framed (compressed)").ja("フレーム上のペイロード (圧縮時)"));
    v(r.frames, as::count("frames", "the frames that carried it").ja("運んだフレームの数"));
    v(r.compressed, as::boolean("compressed", "permessage-deflate")
                        .ja("permessage-deflate で圧縮")
                        .omitted_when_empty());
    v(r.text, as::text("text", "a text message or close reason: its first bytes")
                  .ja("テキストメッセージまたはクローズ理由: 先頭部分")
                  .searched("ws.text", "", "WebSocket text: *password*"));
    v(r.close_code, as::count("close_code", "a close frame's status code")
                        .ja("クローズフレームのステータスコード")
                        .omitted_when_empty());
    v(r.host, as::host("host", "the upgrade request's Host")
                  .ja("アップグレード要求の Host")
                  .also_searched_as("host"));
    v(r.uri, as::text("uri", "the upgrade request's target").ja("アップグレード要求の対象"));
    v(r.stream,
      as::count("stream", "the HTTP/2 stream that carried it (0: after HTTP/1.1's Upgrade)")
          .ja("運んだ HTTP/2 ストリーム (0: HTTP/1.1 のアップグレード後)")
          .omitted_when_empty());
    v(r.sha256, as::hash("sha256", "SHA-256 of a binary message kept as a file")
                    .ja("ファイルとして保存したバイナリメッセージの SHA-256")
                    .omitted_when_empty());
    v(r.flags, as::flags("flags", "what went wrong", websocket_flag_names).ja("問題のあった点"));
  }
};

}  // namespace kagami::records
