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

// FTP's CCC (RFC 4217 11): after AUTH TLS the control connection is TLS; the client asks (in
// TLS) to clear it, both sides send their closure alert, and the commands go on in plaintext:
// PASV and STOR are read again, and the upload's data connection gets its file and name.
TEST(TlsAnalyzer, FtpClearedByCccIsReadAgainAfterTheAlerts) {
  AnalyzerHarness h;
  auto ctl = h.tcp(21, 1);
  h.send(*ctl, kS2C, "220 FTP ready\r\n");
  h.send(*ctl, kC2S, "AUTH TLS\r\n");
  h.send(*ctl, kS2C, "234 AUTH TLS OK\r\n");
  AnalyzerHarness::send(*ctl, kC2S, client_hello_record());
  const std::string server_hello =
      str(record(22, handshake(2, server_hello_body(0x0303, 0xc02f, {})), 0x0303));
  AnalyzerHarness::send(*ctl, kS2C, server_hello + std::string("\x14\x03\x03\x00\x01\x01", 6));
  const std::string encrypted(40, '\x5a');  // USER, PASS and CCC, their replies
  const std::string app = std::string("\x17\x03\x03\x00\x28", 5) + encrypted;
  const std::string alert = std::string("\x15\x03\x03\x00\x1a", 5) + std::string(26, '\x33');
  AnalyzerHarness::send(*ctl, kC2S, std::string("\x14\x03\x03\x00\x01\x01", 6) + app + app);
  AnalyzerHarness::send(*ctl, kS2C, app + app + alert);
  AnalyzerHarness::send(*ctl, kC2S, alert);
  h.send(*ctl, kC2S, "PASV\r\n");
  h.send(*ctl, kS2C, "227 Entering Passive Mode (198,51,100,2,78,32).\r\n");
  h.send(*ctl, kC2S, "STOR payroll.xlsx\r\n");
  h.send(*ctl, kS2C, "150 Ok to send data\r\n");

  analyzers::SessionState st = h.announced(2, 50001, 20000);
  ASSERT_TRUE(st.expected) << "the PASV after CCC was not read";
  analyzers::SessionAnalysis data(std::move(st), h.cx);
  h.send(data, kC2S, "the payroll");
  data.on_end(kC2S, 3);
  data.close(3);
  h.send(*ctl, kS2C, "226 Transfer complete\r\n");
  ctl->close(4);

  EXPECT_EQ(ctl->state().apps, (std::vector<std::string>{"ftp", "tls"}));
  EXPECT_FALSE(ctl->state().analyzer_violation);
  std::vector<std::string> commands;
  for (const auto& f : h.records.ftp) commands.push_back(f.command);
  EXPECT_EQ(commands, (std::vector<std::string>{"AUTH", "PASV", "STOR"}));
  ASSERT_EQ(h.records.events.size(), 1u);
  EXPECT_EQ(h.records.events[0].name, "payroll.xlsx");
  EXPECT_EQ(h.records.events[0].direction, "sent");
}

// Without an upgrade before it (TLS on its own port) nothing after the TLS is read as FTP.
TEST(TlsAnalyzer, PlaintextAfterTlsOfItsOwnIsAViolation) {
  AnalyzerHarness h;
  auto s = h.tcp(990);
  AnalyzerHarness::send(*s, kC2S, client_hello_record());
  AnalyzerHarness::send(*s, kC2S, std::string("\x15\x03\x03\x00\x02\x01\x00", 7) + "PASV\r\n");
  s->close(2);
  EXPECT_EQ(s->state().apps, std::vector<std::string>{"tls"});
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
