#include "kagami/wire/tls_handshake.h"

#include <gtest/gtest.h>

#include "kagami/base/sha256.h"
#include "kagami/wire/tls_fingerprint.h"
#include "kagami/wire/x509_certificate.h"

#include "unit/wire/test_certificate.h"
#include "unit/wire/tls_builder.h"

namespace kagami::wire {
namespace {

using testing::TlsBytes;

ByteView view(const TlsBytes& b) { return {b.bytes().data(), b.bytes().size()}; }

TEST(TlsClientHello, ParsesWhatFingerprintsNeed) {
  const TlsBytes body = testing::client_hello_body(testing::chrome_hello());
  auto h = parse_client_hello(view(body));
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ(h->version, 0x0303);
  EXPECT_EQ(h->ciphers.size(), 15u);
  EXPECT_EQ(h->extensions.size(), 16u);
  EXPECT_EQ(h->sni, "browserleaks.com");
  EXPECT_TRUE(h->has_sni);
  EXPECT_EQ(h->alpn, (std::vector<std::string>{"h2", "http/1.1"}));
  EXPECT_EQ(h->supported_versions, (std::vector<std::uint16_t>{0x0304, 0x0303}));
  EXPECT_EQ(h->groups, (std::vector<std::uint16_t>{0x11ec, 0x001d, 0x0017, 0x0018}));
  EXPECT_EQ(h->point_formats, (std::vector<std::uint8_t>{0}));
  EXPECT_EQ(h->signature_algorithms.size(), 8u);
}

// Published by browserleaks.com for this ClientHello (JA3 text and hash, JA4 and JA4_ro).
TEST(TlsFingerprint, Ja3AndJa4MatchPublishedValues) {
  auto h = parse_client_hello(view(testing::client_hello_body(testing::chrome_hello())));
  ASSERT_TRUE(h.ok());
  const std::string ja3 = ja3_string(*h);
  EXPECT_EQ(ja3,
            "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,"
            "45-51-16-65037-23-17613-0-11-10-43-65281-35-18-5-13-27,4588-29-23-24,0");
  EXPECT_EQ(ja3_hash(ja3), "98487aa16281980e7d1120d399efb6a4");
  EXPECT_EQ(ja4(*h), "t13d1516h2_8daaf6152771_d8a2da3f94cd");
  EXPECT_EQ(ja4(*h, 't', true),
            "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,"
            "cca9_0005,000a,000b,000d,0012,0017,001b,0023,002b,002d,0033,44cd,fe0d,ff01_0403,"
            "0804,0401,0503,0805,0501,0806,0601");
}

TEST(TlsFingerprint, GreaseIsLeftOutEverywhere) {
  testing::HelloSpec spec = testing::chrome_hello();
  spec.ciphers.insert(spec.ciphers.begin(), 0x1a1a);
  spec.extensions.insert(spec.extensions.begin(), {0x2a2a, TlsBytes()});
  spec.extensions.push_back({0xfafa, TlsBytes().u8(0)});
  auto h = parse_client_hello(view(testing::client_hello_body(spec)));
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(ja3_hash(ja3_string(*h)), "98487aa16281980e7d1120d399efb6a4");
  EXPECT_EQ(ja4(*h), "t13d1516h2_8daaf6152771_d8a2da3f94cd");
}

TEST(TlsFingerprint, Ja4WithoutSniAlpnOrSignatureAlgorithms) {
  testing::HelloSpec spec;
  spec.version = 0x0301;
  spec.ciphers = {0x002f, 0x0035};
  spec.extensions = {{0x000a, testing::u16_list_ext(2, {0x0017})}};
  auto h = parse_client_hello(view(testing::client_hello_body(spec)));
  ASSERT_TRUE(h.ok());
  const std::string raw = ja4(*h, 't', true);
  EXPECT_EQ(raw, "t10i020100_002f,0035_000a");  // no "_" and no signature algorithms
  EXPECT_EQ(ja4(*h).substr(0, 10), "t10i020100");
  EXPECT_EQ(ja4(*h).substr(24), to_hex(Sha256::of(as_bytes("000a"))).substr(0, 12));
}

TEST(TlsFingerprint, Ja4AlpnThatIsNotAlphanumericIsHex) {
  testing::HelloSpec spec;
  spec.ciphers = {0x1301};
  spec.extensions = {{0x0010, testing::alpn_ext({std::string("\xab\x01\xcd", 3)})}};
  auto h = parse_client_hello(view(testing::client_hello_body(spec)));
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(ja4(*h).substr(0, 10), "t12i0101ad");
}

TEST(TlsServerHello, SelectedVersionAlpnAndJa3s) {
  const TlsBytes body =
      testing::server_hello_body(0x0303, 0x1301,
                                 {{0x002b, TlsBytes().u16(0x0304)},
                                  {0x0033, TlsBytes().u16(0x001d).vec(2, TlsBytes())},
                                  {0x0010, testing::alpn_ext({"h2"})}});
  auto h = parse_server_hello(view(body));
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ(h->selected_version, 0x0304);
  EXPECT_EQ(h->alpn, "h2");
  EXPECT_FALSE(h->hello_retry_request);
  EXPECT_EQ(ja3s_string(*h), "771,4865,43-51-16");
  EXPECT_EQ(ja4s(*h, 't', true), "t1303h2_1301_002b,0033,0010");
}

TEST(TlsServerHello, RecognizesHelloRetryRequest) {
  auto h = parse_server_hello(
      view(testing::server_hello_body(0x0303, 0x1302, {{0x002b, TlsBytes().u16(0x0304)}}, true)));
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(h->hello_retry_request);
}

TEST(TlsClientHello, LyingLengthsAreErrorsNotReads) {
  const std::vector<std::uint8_t> good =
      testing::client_hello_body(testing::chrome_hello()).bytes();
  // Every truncation fails cleanly, except the one that ends where extensions would begin
  // (a hello without extensions is valid).
  const std::size_t no_extensions = 2 + 32 + 1 + 2 + 30 + 2;
  for (std::size_t n = 0; n < good.size(); ++n) {
    EXPECT_EQ(parse_client_hello(ByteView(good.data(), n)).ok(), n == no_extensions) << n;
  }
  // An extension that claims more than its container holds.
  testing::HelloSpec spec;
  spec.ciphers = {0x1301};
  spec.extensions = {{0x0000, TlsBytes().u16(200).u8(0)}};
  EXPECT_FALSE(parse_client_hello(view(testing::client_hello_body(spec))).ok());
  spec.extensions = {{0x002b, TlsBytes().u8(3).u16(0x0304)}};  // odd list length
  EXPECT_FALSE(parse_client_hello(view(testing::client_hello_body(spec))).ok());
}

TEST(TlsRecordHeader, AcceptsOnlyPlausibleRecords) {
  TlsRecordHeader h;
  const std::uint8_t ok[] = {22, 3, 1, 0, 10};
  EXPECT_TRUE(parse_tls_record_header(ok, h));
  EXPECT_EQ(h.type, 22);
  EXPECT_EQ(h.version, 0x0301);
  EXPECT_EQ(h.length, 10);
  const std::uint8_t bad_type[] = {25, 3, 1, 0, 10};
  const std::uint8_t bad_version[] = {22, 2, 0, 0, 10};
  const std::uint8_t too_long[] = {23, 3, 3, 0xff, 0xff};
  EXPECT_FALSE(parse_tls_record_header(bad_type, h));
  EXPECT_FALSE(parse_tls_record_header(bad_version, h));
  EXPECT_FALSE(parse_tls_record_header(too_long, h));
}

TEST(TlsCertificate, ListAndSummary) {
  testing::CertSpec spec;
  spec.cn = "鏡.example.jp";
  const std::vector<std::uint8_t> leaf = testing::make_certificate(spec);
  const std::vector<std::uint8_t> ca = testing::make_certificate({.cn = "Example CA", .san = ""});
  TlsBytes list;
  list.vec(3, TlsBytes().raw(leaf)).vec(3, TlsBytes().raw(ca));
  const TlsBytes body = TlsBytes().vec(3, list);
  auto chain = parse_certificate_list(view(body), false);
  ASSERT_TRUE(chain.ok());
  ASSERT_EQ(chain->size(), 2u);
  EXPECT_EQ(chain->at(0).size(), leaf.size());

  auto s = parse_x509(chain->at(0));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->subject, "CN=鏡.example.jp,O=Example");
  EXPECT_EQ(s->issuer, "CN=Example CA");
  EXPECT_EQ(s->common_name, "鏡.example.jp");
  EXPECT_EQ(s->serial, "1234");
  EXPECT_EQ(s->sans,
            (std::vector<std::string>{"DNS:www.example.jp", "DNS:example.jp", "IP:192.0.2.7"}));
  EXPECT_EQ(s->not_before, 1700000000LL * 1'000'000'000);
  EXPECT_EQ(s->not_after, 1731536000LL * 1'000'000'000);
  EXPECT_EQ(s->key, "id-ecPublicKey 256");
  EXPECT_FALSE(s->self_issued);

  const std::uint8_t junk[] = {0x30, 0x82, 0x01, 0x00, 0x02};
  EXPECT_FALSE(parse_x509(junk).ok());
  const TlsBytes lying = TlsBytes().u24(100).u24(3).u8(1);
  EXPECT_FALSE(parse_certificate_list(view(lying), false).ok());
}

TEST(TlsNames, VersionsAndAlerts) {
  EXPECT_EQ(tls_version_name(0x0304), "TLS 1.3");
  EXPECT_EQ(tls_version_name(0x0300), "SSL 3.0");
  EXPECT_EQ(tls_version_name(0x7f1c), "TLS 1.3 draft 28");
  EXPECT_EQ(tls_version_name(0x1234), "0x1234");
  EXPECT_EQ(tls_alert_name(48), "unknown_ca");
  EXPECT_EQ(tls_alert_name(200), "alert 200");
  EXPECT_TRUE(tls_grease(0x0a0a));
  EXPECT_TRUE(tls_grease(0xfafa));
  EXPECT_FALSE(tls_grease(0x0a1a));
}

}  // namespace
}  // namespace kagami::wire
