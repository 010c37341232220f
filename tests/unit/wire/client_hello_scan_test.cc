// Is the first flight TLS? A real OpenSSL ClientHello, whole, cut, spread over records, and
// things that only look like TLS.
#include "kagami/wire/client_hello_scan.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>

namespace kagami::wire {
namespace {

using R = ClientHelloScan::Result;

// The first flight of an OpenSSL client asking for `sni` with ALPN h2 and http/1.1.
std::vector<std::uint8_t> openssl_hello(const char* sni) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL* ssl = SSL_new(ctx);
  BIO* rbio = BIO_new(BIO_s_mem());
  BIO* wbio = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl, rbio, wbio);
  SSL_set_tlsext_host_name(ssl, sni);
  static const unsigned char kAlpn[] = {2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  SSL_set_alpn_protos(ssl, kAlpn, sizeof kAlpn);
  SSL_connect(ssl);
  char* data = nullptr;
  const long n = BIO_get_mem_data(wbio, &data);
  std::vector<std::uint8_t> out(data, data + n);
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  return out;
}

TEST(ClientHelloScan, ReadsAWholeHello) {
  const auto hello = openssl_hello("example.org");
  const auto s = scan_client_hello(ByteView(hello.data(), hello.size()));
  ASSERT_EQ(s.result, R::kHello) << s.error;
  EXPECT_EQ(s.hello.sni, "example.org");
  ASSERT_EQ(s.hello.alpn.size(), 2u);
  EXPECT_EQ(s.hello.alpn[1], "http/1.1");
}

TEST(ClientHelloScan, ACutHelloAsksForTheRest) {
  const auto hello = openssl_hello("example.org");
  for (std::size_t n : {std::size_t{1}, std::size_t{4}, std::size_t{5}, hello.size() - 1}) {
    const auto s = scan_client_hello(ByteView(hello.data(), n));
    EXPECT_EQ(s.result, R::kNeedMore) << n;
    EXPECT_GT(s.need, n);
  }
}

TEST(ClientHelloScan, AHelloSpreadOverRecordsIsJoined) {
  const auto hello = openssl_hello("split.example");
  const std::size_t body = hello.size() - 5;
  std::vector<std::uint8_t> split;
  for (std::size_t at = 0; at < body; at += 7) {  // 7 bytes of handshake per record
    const std::size_t n = std::min<std::size_t>(7, body - at);
    split.insert(split.end(), {22, 3, 1, 0, static_cast<std::uint8_t>(n)});
    split.insert(split.end(), hello.begin() + 5 + at, hello.begin() + 5 + at + n);
  }
  const auto s = scan_client_hello(ByteView(split.data(), split.size()));
  ASSERT_EQ(s.result, R::kHello) << s.error;
  EXPECT_EQ(s.hello.sni, "split.example");
}

TEST(ClientHelloScan, OtherProtocolsAreNotTls) {
  EXPECT_EQ(scan_client_hello(as_bytes(std::string("GET / HTTP/1.1\r\n"))).result, R::kNotTls);
  EXPECT_EQ(scan_client_hello(as_bytes(std::string("SSH-2.0-OpenSSH\r\n"))).result, R::kNotTls);
  EXPECT_EQ(scan_client_hello(as_bytes(std::string("\x16\x07", 2))).result, R::kNotTls);
}

TEST(ClientHelloScan, BrokenTlsIsMalformedNotAHang) {
  // A handshake record whose message is a ServerHello.
  const std::uint8_t server_hello[] = {22, 3, 3, 0, 4, 2, 0, 0, 0};
  EXPECT_EQ(scan_client_hello(ByteView(server_hello, sizeof server_hello)).result, R::kMalformed);
  // A ClientHello claiming 16 MB.
  const std::uint8_t huge[] = {22, 3, 1, 0, 4, 1, 0xff, 0xff, 0xff};
  EXPECT_EQ(scan_client_hello(ByteView(huge, sizeof huge)).result, R::kMalformed);
  // An alert record in the middle of the hello.
  auto hello = openssl_hello("x.example");
  std::vector<std::uint8_t> bad = {22, 3, 1, 0, 4};
  bad.insert(bad.end(), hello.begin() + 5, hello.begin() + 9);
  bad.insert(bad.end(), {21, 3, 3, 0, 2, 2, 40});
  EXPECT_EQ(scan_client_hello(ByteView(bad.data(), bad.size())).result, R::kMalformed);
  // Garbage inside a well-framed hello.
  std::vector<std::uint8_t> garbage = {22, 3, 1, 0, 8, 1, 0, 0, 4, 0xde, 0xad, 0xbe, 0xef};
  EXPECT_EQ(scan_client_hello(ByteView(garbage.data(), garbage.size())).result, R::kMalformed);
}

}  // namespace
}  // namespace kagami::wire
