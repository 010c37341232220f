#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <openssl/ssl.h>

namespace kagami::demo {

// The demo's apps server (apps.kagami-demo.test): ALPN h2 gets an HTTP/2 API (nghttp2),
// http/1.1 a WebSocket chat.
void configure_apps_server(SSL_CTX* ctx);
void serve_app(SSL* ssl);

// Over a TLS connection that agreed on h2: GET /api/notices and POST /api/report (the body),
// as one HTTP/2 connection with two streams.
bool h2_requests(SSL* ssl, const std::string& authority, const std::string& report,
                 std::uint64_t& requests, std::string& why);
// A news reader that speaks only HTTP/2 (as gRPC stacks and many SDKs do), reading the
// intranet site, which speaks only HTTP/1.1: "/" and two articles on one connection. The
// proxy bridges the two.
bool h2_news(SSL* ssl, const std::string& authority, std::uint64_t& requests, std::string& why);
// Over a TLS connection that agreed on http/1.1: a WebSocket chat, one line after another,
// each answered, then a close.
bool chat(SSL* ssl, const std::string& host, const std::vector<std::string>& lines,
          std::uint64_t& messages, std::string& why);

}  // namespace kagami::demo
