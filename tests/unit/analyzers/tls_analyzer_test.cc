#include <gtest/gtest.h>

#include "kagami/base/sha256.h"

#include "unit/analyzers/harness.h"
#include "unit/wire/test_certificate.h"
#include "unit/wire/tls_builder.h"

namespace kagami::testing {
namespace {

std::string str(const TlsBytes& b) { return {b.bytes().begin(), b.bytes().end()}; }

std::string client_hello_record() {
  return str(record(22, handshake(1, client_hello_body(chrome_hello())), 0x0301));
}

TEST(TlsAnalyzer, Tls12HandshakeGivesRecordCertificatesAndFiles) {
  AnalyzerHarness h;
  auto s = h.tcp(8443);  // not a TLS port: recognized by content
  const std::vector<std::uint8_t> leaf = make_certificate({});
  const std::vector<std::uint8_t> ca = make_certificate({.cn = "Example CA", .san = ""});
  TlsBytes chain;
  chain.vec(3, TlsBytes().raw(leaf)).vec(3, TlsBytes().raw(ca));
  TlsBytes flight;  // ServerHello, Certificate and ServerHelloDone in one record
  flight.raw(handshake(2, server_hello_body(0x0303, 0xc02f, {{0xff01, TlsBytes().u8(0)}})).bytes())
      .raw(handshake(11, TlsBytes().vec(3, chain)).bytes())
      .raw(handshake(14, TlsBytes()).bytes());

  // The ClientHello arrives in 7-byte segments, as a path with a tiny MTU would deliver it.
  AnalyzerHarness::send_split(*s, kC2S, client_hello_record(), 7);
  AnalyzerHarness::send(*s, kS2C, str(record(22, flight)));
  AnalyzerHarness::send(
      *s, kC2S, str(record(20, TlsBytes().u8(1))) + str(record(23, TlsBytes().str("secret"))));
  AnalyzerHarness::send(
      *s, kS2C, str(record(20, TlsBytes().u8(1))) + str(record(23, TlsBytes().str("secret"))));
  s->close(2'000'000'000);

  ASSERT_EQ(h.records.tls.size(), 1u);
  const records::TlsRecord& t = h.records.tls[0];
  EXPECT_EQ(t.sni, "browserleaks.com");
  EXPECT_EQ(t.ja3, "98487aa16281980e7d1120d399efb6a4");
  EXPECT_EQ(t.ja4, "t13d1516h2_8daaf6152771_d8a2da3f94cd");
  EXPECT_EQ(t.alpn, (std::vector<std::string>{"h2", "http/1.1"}));
  EXPECT_EQ(t.client_versions, (std::vector<std::string>{"TLS 1.3", "TLS 1.2"}));
  EXPECT_EQ(t.version, "TLS 1.2");
  EXPECT_EQ(t.cipher, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
  EXPECT_EQ(t.ja3s_string, "771,49199,65281");
  EXPECT_EQ(t.cert_subject, "CN=www.example.jp,O=Example");
  EXPECT_EQ(t.cert_issuer, "CN=Example CA");
  EXPECT_EQ(t.cert_sha256, to_hex(Sha256::of(ByteView(leaf.data(), leaf.size()))));
  EXPECT_EQ(t.cert_count, 2u);
  EXPECT_EQ(t.cert_sans.size(), 3u);
  EXPECT_FALSE(t.encrypted_certificate);
  EXPECT_FALSE(t.partial);

  ASSERT_EQ(h.records.events.size(), 2u);
  EXPECT_EQ(h.records.events[0].name, "www.example.jp.cer");
  EXPECT_EQ(h.records.events[0].field, "certificate");
  EXPECT_EQ(h.records.events[0].protocol, "tls");
  EXPECT_EQ(h.records.events[0].direction, "received");
  EXPECT_EQ(h.records.events[1].field, "chain");
  EXPECT_EQ(h.file_bytes(t.cert_sha256), std::string(leaf.begin(), leaf.end()));

  EXPECT_EQ(s->state().apps, (std::vector<std::string>{"tls"}));
  EXPECT_TRUE(s->state().encrypted);
  EXPECT_EQ(s->state().host, "browserleaks.com");
  EXPECT_FALSE(s->state().analyzer_violation);
}

TEST(TlsAnalyzer, Tls13CertificatesAreEncryptedAndRecordComesWithoutWaitingForClose) {
  AnalyzerHarness h;
  auto s = h.tcp(443);
  AnalyzerHarness::send(*s, kC2S, client_hello_record());
  const TlsBytes sh = server_hello_body(0x0303, 0x1301, {{0x002b, TlsBytes().u16(0x0304)}});
  AnalyzerHarness::send(*s, kS2C,
                        str(record(22, handshake(2, sh))) + str(record(20, TlsBytes().u8(1))) +
                            str(record(23, TlsBytes().str("encrypted extensions"))));
  // The client's compatibility ChangeCipherSpec does not stop the analysis; its first
  // encrypted record does.
  AnalyzerHarness::send(*s, kC2S, str(record(20, TlsBytes().u8(1))));
  EXPECT_TRUE(h.records.tls.empty());
  AnalyzerHarness::send(*s, kC2S, str(record(23, TlsBytes().str("finished"))));
  ASSERT_EQ(h.records.tls.size(), 1u);
  EXPECT_EQ(h.records.tls[0].version, "TLS 1.3");
  EXPECT_EQ(h.records.tls[0].cipher, "TLS_AES_128_GCM_SHA256");
  EXPECT_TRUE(h.records.tls[0].encrypted_certificate);
  EXPECT_TRUE(h.records.events.empty());
  s->close(2'000'000'000);
  EXPECT_EQ(h.records.tls.size(), 1u);  // not twice
}

TEST(TlsAnalyzer, HelloRetryKeepsFirstClientHelloAndFinalServerHello) {
  AnalyzerHarness h;
  auto s = h.tcp(443);
  AnalyzerHarness::send(*s, kC2S, client_hello_record());
  AnalyzerHarness::send(
      *s, kS2C,
      str(record(22, handshake(2, server_hello_body(0x0303, 0x1302,
                                                    {{0x002b, TlsBytes().u16(0x0304)}}, true)))));
  testing::HelloSpec second = chrome_hello();
  second.ciphers = {0x1302};
  AnalyzerHarness::send(
      *s, kC2S,
      str(record(20, TlsBytes().u8(1))) + str(record(22, handshake(1, client_hello_body(second)))));
  AnalyzerHarness::send(
      *s, kS2C,
      str(record(22, handshake(2, server_hello_body(0x0303, 0x1302,
                                                    {{0x002b, TlsBytes().u16(0x0304)},
                                                     {0x0033, TlsBytes().u16(0x1d)}})))));
  s->close(2'000'000'000);
  ASSERT_EQ(h.records.tls.size(), 1u);
  EXPECT_TRUE(h.records.tls[0].hello_retry);
  EXPECT_EQ(h.records.tls[0].ja3, "98487aa16281980e7d1120d399efb6a4");
  EXPECT_EQ(h.records.tls[0].ja3s_string, "771,4866,43-51");
  EXPECT_FALSE(h.records.tls[0].partial);
}

TEST(TlsAnalyzer, AlertInTheClearIsRecorded) {
  AnalyzerHarness h;
  auto s = h.tcp(443);
  AnalyzerHarness::send(*s, kC2S, client_hello_record());
  AnalyzerHarness::send(*s, kS2C, str(record(21, TlsBytes().u8(2).u8(40))));
  s->close(2'000'000'000);
  ASSERT_EQ(h.records.tls.size(), 1u);
  EXPECT_EQ(h.records.tls[0].alert, "handshake_failure");
  EXPECT_FALSE(h.records.tls[0].server_hello_seen);
}

TEST(TlsAnalyzer, GapInHandshakeFlagsRecordPartial) {
  AnalyzerHarness h;
  auto s = h.tcp(443);
  const std::string hello = client_hello_record();
  AnalyzerHarness::send(*s, kC2S, hello.substr(0, 40));
  s->on_gap(kC2S, 1'000'000'000, 100);
  AnalyzerHarness::send(*s, kC2S, hello.substr(140));
  AnalyzerHarness::send(*s, kS2C,
                        str(record(22, handshake(2, server_hello_body(0x0303, 0xc02f, {})))));
  s->close(2'000'000'000);
  ASSERT_EQ(h.records.tls.size(), 1u);
  EXPECT_TRUE(h.records.tls[0].partial);
  EXPECT_TRUE(h.records.tls[0].ja3.empty());
  EXPECT_FALSE(h.records.tls[0].ja3s.empty());
}

TEST(TlsAnalyzer, GarbageAfterDetectionIsAViolationNotACrash) {
  AnalyzerHarness h;
  auto s = h.tcp(443);
  std::string hello = client_hello_record();
  hello[60] = '\xff';  // the cipher list length now lies
  hello[61] = '\xff';
  AnalyzerHarness::send(*s, kC2S, hello);
  AnalyzerHarness::send(*s, kC2S, std::string(5000, '\x42'));
  AnalyzerHarness::send(*s, kS2C, std::string("\x16\x03\x03\x00\x02\x02\x00", 7));
  s->close(2'000'000'000);
  EXPECT_TRUE(s->state().analyzer_violation);
  EXPECT_GE(h.counters.violations.get(), 1u);
}

TEST(TlsAnalyzer, NotDetectedOnPlainText) {
  AnalyzerHarness h;
  auto s = h.tcp(443);
  AnalyzerHarness::send(*s, kC2S, "HELLO THERE\r\n");
  AnalyzerHarness::send(*s, kS2C, "hi\r\n");
  s->close(2'000'000'000);
  EXPECT_TRUE(h.records.tls.empty());
  EXPECT_FALSE(s->state().encrypted);
}

}  // namespace
}  // namespace kagami::testing
