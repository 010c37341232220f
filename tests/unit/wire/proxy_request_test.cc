// What clients send an explicit proxy: CONNECT and absolute-form requests, and what is not.
#include "kagami/wire/proxy_request.h"

#include <gtest/gtest.h>

namespace kagami::wire {
namespace {

ProxyRequestParse parse(const std::string& s) { return parse_proxy_request(as_bytes(s), {}); }
using R = ProxyRequestParse::Result;

TEST(ProxyRequest, ConnectNamesHostAndPortAndLeavesTheTunnelBytes) {
  const std::string head = "CONNECT example.com:8443 HTTP/1.1\r\nHost: example.com:8443\r\n\r\n";
  const auto p = parse(head + "\x16\x03\x01");
  ASSERT_EQ(p.result, R::kRequest) << p.error;
  EXPECT_TRUE(p.request.connect);
  EXPECT_EQ(p.request.host, "example.com");
  EXPECT_EQ(p.request.port, 8443);
  EXPECT_EQ(p.request.head.bytes, head.size());
}

TEST(ProxyRequest, ConnectToIpv6NeedsBrackets) {
  auto p = parse("CONNECT [2001:db8::1]:443 HTTP/1.1\r\n\r\n");
  ASSERT_EQ(p.result, R::kRequest) << p.error;
  EXPECT_EQ(p.request.host, "2001:db8::1");
  EXPECT_EQ(parse("CONNECT 2001:db8::1:443 HTTP/1.1\r\n\r\n").result, R::kError);
  EXPECT_EQ(parse("CONNECT example.com HTTP/1.1\r\n\r\n").result, R::kError);
  EXPECT_EQ(parse("CONNECT example.com:0 HTTP/1.1\r\n\r\n").result, R::kError);
  EXPECT_EQ(parse("CONNECT example.com:99999 HTTP/1.1\r\n\r\n").result, R::kError);
  EXPECT_EQ(parse("CONNECT exa mple.com:1 HTTP/1.1\r\n\r\n").result, R::kError);
}

TEST(ProxyRequest, AbsoluteFormIsRewrittenForTheOrigin) {
  const auto p = parse(
      "GET http://user:pw@Example.com:8080/a/b?c=d#frag HTTP/1.1\r\nHost: Example.com:8080\r\n"
      "Proxy-Connection: keep-alive\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\n"
      "Proxy-Authorization: Basic YWxpY2U6czNjcmV0\r\nAccept: */*\r\n\r\n");
  ASSERT_EQ(p.result, R::kRequest) << p.error;
  EXPECT_FALSE(p.request.connect);
  EXPECT_EQ(p.request.host, "Example.com");
  EXPECT_EQ(p.request.port, 8080);
  EXPECT_EQ(p.request.origin_target, "/a/b?c=d");
  EXPECT_TRUE(p.request.has_proxy_auth);
  EXPECT_EQ(p.request.proxy_user, "alice");
  EXPECT_EQ(p.request.proxy_password, "s3cret");
  EXPECT_EQ(origin_request_head(p.request),
            "GET /a/b?c=d HTTP/1.1\r\nHost: Example.com:8080\r\nAccept: */*\r\n"
            "Connection: close\r\n\r\n");
}

TEST(ProxyRequest, AHostFieldIsAddedWhenMissing) {
  const auto p = parse("GET http://[::1]:81 HTTP/1.0\r\n\r\n");
  ASSERT_EQ(p.result, R::kRequest) << p.error;
  EXPECT_EQ(p.request.origin_target, "/");
  EXPECT_EQ(origin_request_head(p.request),
            "GET / HTTP/1.0\r\nHost: [::1]:81\r\nConnection: close\r\n\r\n");
}

TEST(ProxyRequest, WhatIsNotAProxyRequestIsAnError) {
  EXPECT_EQ(parse("GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n").result, R::kError);
  EXPECT_EQ(parse("GET https://x/ HTTP/1.1\r\n\r\n").result, R::kError);
  EXPECT_EQ(parse("GET http:///nohost HTTP/1.1\r\n\r\n").result, R::kError);
  EXPECT_EQ(parse("GET http://x/\r\n").result, R::kError);  // HTTP/0.9
  EXPECT_EQ(parse(std::string("\x16\x03\x01\x00\x10", 5)).result, R::kError);
  EXPECT_EQ(parse("CONNECT example.com:443 HTTP/1.1\r\nHost: x").result, R::kNeedMore);
}

TEST(ProxyRequest, AnEndlessHeadIsCutAtItsBound) {
  HttpLimits limits;
  limits.max_head_bytes = 1024;
  const std::string head = "CONNECT a:1 HTTP/1.1\r\nX: " + std::string(4096, 'a');
  EXPECT_EQ(parse_proxy_request(as_bytes(head), limits).result, R::kError);
}

}  // namespace
}  // namespace kagami::wire
