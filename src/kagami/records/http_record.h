#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kagami/base/time.h"
#include "kagami/records/endpoints.h"
#include "kagami/records/record_schema.h"

namespace kagami::records {

enum HttpFlag : std::uint32_t {
  kHttpNoResponse = 1u << 0,   // the session ended before the response
  kHttpPartial = 1u << 1,      // a body was cut by a gap or the end of the session
  kHttpDecodeError = 1u << 2,  // Content-Encoding could not be undone; the raw body is kept
  kHttpBodyLimit = 1u << 3,    // a body exceeded a bound (decoded size or expansion ratio)
  kHttpConnect = 1u << 4,      // CONNECT: what follows is a tunnel
  kHttpUpgrade = 1u << 5,      // 101 Switching Protocols
  kHttpWebSocket = 1u << 6,
  kHttpMalformed = 1u << 7,    // the parser met something it could not read and stopped
  kHttpHeaderLimit = 1u << 8,  // a header block exceeded its bound
  kHttpReset = 1u << 9,        // HTTP/2: a side cancelled the stream (RST_STREAM)
  kHttpGoaway = 1u << 10,      // HTTP/2: the connection was closed (GOAWAY) before it ended
  kHttpPushed = 1u << 11,      // HTTP/2: the server pushed it (PUSH_PROMISE), nobody asked
  kHttpTrailers = 1u << 12,    // header fields followed the body (gRPC's status, for one)
};

std::vector<std::string> http_flag_names(std::uint32_t flags);

// One HTTP transaction, HTTP/0.9 to HTTP/2: a request and its response (an HTTP/2 stream).
struct HttpRecord {
  std::uint64_t id = 0;
  std::uint64_t session_id = 0;
  Endpoints endpoints;
  TimeNs ts = 0;       // the request's first byte
  TimeNs resp_ts = 0;  // the response's first byte (0: none)
  std::string method, host, uri, version;
  int status = 0;
  std::string user_agent, referer;
  std::string req_content_type, resp_content_type;
  std::uint64_t req_bytes = 0, resp_bytes = 0;  // message bodies as sent (chunking removed)
  std::string user;  // Basic Authorization / Proxy-Authorization, else the session's (proxy login)
  std::vector<std::string> files;  // sha256 of every object it carried
  std::uint32_t flags = 0;
  std::uint32_t stream = 0;          // HTTP/2's stream number (0: HTTP/1)
  std::vector<std::string> evasion;  // tricks to hide the content (wire::HttpEvasion names)

  static constexpr RecordType kType{.kind = "http",
                                    .table = "http",
                                    .noun = "HTTP transaction(s)",
                                    .help = "list HTTP transactions",
                                    .id_column = "id",
                                    .host_column = "host",
                                    .title = "HTTP transactions",
                                    .title_ja = "HTTP トランザクション"};
  static constexpr Column kColumns[] = {
      {"TIME (UTC)", "時刻", Shown::kTime, "ts", {}, 27},
      {"CLIENT", "クライアント", Shown::kEndpoint, "client", {}, 23},
      {"SERVER", "サーバー", Shown::kEndpoint, "server", {}, 23},
      {"METHOD", "メソッド", Shown::kText, "method", {}, 7, 7},
      {"HOST", "ホスト", Shown::kText, "host", {}, 30, 30},
      {"STATUS", "ステータス", Shown::kNumberOrDash, "status", {}, 6, 0, true},
      {"RESP BYTES", "応答バイト", Shown::kNumber, "resp_bytes", {}, 10, 0, true},
      {"URI", "URI", Shown::kText, "uri", {}, 0, 200, false, 2},
      Column{"USER", "ユーザー", Shown::kText, "user", {}}.in_console_only()};
  template <class Self, class V>
  static void describe(Self& r, V& v) {
    v(r.id, as::id("id", "the transaction's number").ja("トランザクションの番号"));
    v(r.session_id, as::ref("session_id", "the session that carried it").ja("運んだセッション"));
    Endpoints::describe(r.endpoints, v);
    v(r.ts, as::time("ts", "the request's first byte").ja("リクエストの最初のバイト"));
    v(r.resp_ts, as::time("resp_ts", "the response's first byte")
                     .ja("レスポンスの最初のバイト")
                     .omitted_when_empty());
    v(r.method, as::name_of_set("method", "the request method")
                    .ja("リクエストメソッド")
                    .searched("method", "http.method", "HTTP method"));
    v(r.host, as::host("host", "the Host header").ja("Host ヘッダー").also_searched_as("host"));
    v(r.uri, as::text("uri", "the request target")
                 .ja("リクエスト対象 (URI)")
                 .searched("uri", "url,path,http.uri", "HTTP request target: /login*"));
    v(r.version, as::name_of_set("version", "the protocol version (HTTP/1.1)")
                     .ja("プロトコルのバージョン (HTTP/1.1)"));
    v(r.status, as::count("status", "the response's status code (0: no response)")
                    .ja("レスポンスのステータスコード (0: レスポンスなし)")
                    .searched("status", "http.status", "HTTP status code"));
    v(r.user_agent, as::text("user_agent", "the User-Agent header")
                        .ja("User-Agent ヘッダー")
                        .searched("ua", "user_agent,http.user_agent", "HTTP User-Agent"));
    v(r.referer, as::text("referer", "the Referer header")
                     .ja("Referer ヘッダー")
                     .searched("referer", "http.referer", "HTTP Referer"));
    v(r.req_content_type, as::text("req_content_type", "the request's Content-Type")
                              .ja("リクエストの Content-Type")
                              .searched("content_type", "http.content_type",
                                        "HTTP Content-Type of request or response"));
    v(r.resp_content_type, as::text("resp_content_type", "the response's Content-Type")
                               .ja("レスポンスの Content-Type")
                               .searched("content_type", "http.content_type",
                                         "HTTP Content-Type of request or response"));
    v(r.req_bytes, as::size("req_bytes", "the request body as sent (chunking removed)")
                       .ja("送られたリクエスト本文 (チャンク除去後)"));
    v(r.resp_bytes, as::size("resp_bytes", "the response body as sent (chunking removed)")
                        .ja("送られたレスポンス本文 (チャンク除去後)"));
    v(r.user,
      as::text("user",
               "who: the Authorization: Basic login, else the session's (the "
               "proxy login)")
          .ja("誰: Authorization: Basic のログイン、なければセッションのユーザー (プロキシ認証)")
          .also_searched_as("user"));
    v(r.files,
      as::list("files", "SHA-256 of every object it carried").ja("運んだ各オブジェクトの SHA-256"));
    v(r.flags, as::flags("flags", "what went wrong", http_flag_names).ja("問題のあった点"));
    v(r.stream, as::count("stream", "the HTTP/2 stream that carried it (0: HTTP/1)")
                    .ja("運んだ HTTP/2 ストリーム (0: HTTP/1)")
                    .searched("http.stream", "", "HTTP/2 stream number (0: HTTP/1)")
                    .omitted_when_empty());
    v(r.evasion,
      as::list("evasion", "tricks its messages used that may hide content from inspection")
          .ja("検査から内容を隠しうる細工")
          .searched("evasion", "http.evasion",
                    "HTTP evasion trick: transfer_encoding, chunked_http10, header_syntax, "
                    "folding, line_ends, content_length, status_line, chunk_size, "
                    "content_encoding, gzip_header")
          .omitted_when_empty());
    v.full_text(
        TextKind::kHttp, [&r] { return r.host + r.uri; }, "host || uri");
  }
};

}  // namespace kagami::records
