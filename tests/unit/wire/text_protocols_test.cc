// The I/O-free pieces of the text protocols: lines, dot-stuffing, SASL user names, FTP
// data addresses.
#include <string>

#include <gtest/gtest.h>

#include "kagami/base/base64.h"
#include "kagami/content/byte_sink.h"
#include "kagami/wire/dot_stuffing.h"
#include "kagami/wire/ftp_address.h"
#include "kagami/wire/sasl.h"
#include "kagami/wire/text_line.h"

namespace kagami::wire {
namespace {

using Result = LineSplitter::Result;

TEST(LineSplitter, SplitsOnCrlfAndBareLfAndWaitsForTheEnd) {
  LineSplitter s(100);
  std::string_view line;
  std::size_t used = 0;
  EXPECT_EQ(s.next("EHLO x\r\nMAIL", line, used), Result::kLine);
  EXPECT_EQ(line, "EHLO x");
  EXPECT_EQ(used, 8u);
  EXPECT_EQ(s.next("MAIL", line, used), Result::kNeedMore);
  EXPECT_EQ(s.next("QUIT\n", line, used), Result::kLine);
  EXPECT_EQ(line, "QUIT");
  EXPECT_EQ(s.next("\r\n", line, used), Result::kLine);
  EXPECT_EQ(line, "");
}

TEST(LineSplitter, SkipsAnOverlongLineUpToItsEndAndGoesOn) {
  LineSplitter s(8);
  std::string_view line;
  std::size_t used = 0;
  EXPECT_EQ(s.next("0123456789abcdef", line, used), Result::kTooLong);
  EXPECT_EQ(used, 8u);
  EXPECT_EQ(s.next("89abcdef", line, used), Result::kTooLong);  // still the same line
  EXPECT_EQ(used, 8u);
  EXPECT_EQ(s.next("xyz\r\nNOOP\r\n", line, used), Result::kTooLong);
  EXPECT_EQ(used, 5u);
  EXPECT_EQ(s.next("NOOP\r\n", line, used), Result::kLine);
  EXPECT_EQ(line, "NOOP");
}

TEST(TextHelpers, CompareKeywordsWithoutCase) {
  EXPECT_TRUE(iequals("StartTLS", "STARTTLS"));
  EXPECT_FALSE(iequals("STARTTLS", "STARTTL"));
  EXPECT_TRUE(istarts_with("mail from:<a@b>", "MAIL FROM:"));
  std::string_view rest;
  EXPECT_EQ(first_word("RCPT   TO:<a@b>", &rest), "RCPT");
  EXPECT_EQ(rest, "TO:<a@b>");
}

struct Collect final : content::ByteSink {
  std::string bytes;
  void write(ByteView b) override { bytes.append(as_chars(b)); }
};

std::string unstuff_in_pieces(std::string_view wire, std::size_t piece, std::size_t* used) {
  DotUnstuffer u;
  Collect out;
  *used = 0;
  for (std::size_t i = 0; i < wire.size() && !u.done(); i += piece) {
    const std::string_view p = wire.substr(i, piece);
    const std::size_t n = u.feed(as_bytes(p), out);
    *used += n;
    if (n < p.size()) break;
  }
  return u.done() ? out.bytes : "(not done)";
}

TEST(DotUnstuffer, RemovesStuffingAndStopsAtTheTerminatorInAnySplit) {
  const std::string wire = "Subject: x\r\n\r\n..leading dot\r\n.\r\nQUIT\r\n";
  for (std::size_t piece = 1; piece <= wire.size(); ++piece) {
    SCOPED_TRACE(piece);
    std::size_t used = 0;
    EXPECT_EQ(unstuff_in_pieces(wire, piece, &used), "Subject: x\r\n\r\n.leading dot\r\n");
    EXPECT_EQ(used, wire.size() - 6);  // "QUIT\r\n" is left for the command reader
  }
}

TEST(DotUnstuffer, AcceptsBareLfAndKeepsADotCrThatEndsNothing) {
  std::size_t used = 0;
  EXPECT_EQ(unstuff_in_pieces("a\n.\n", 1, &used), "a\n");
  EXPECT_EQ(unstuff_in_pieces("a\r\n.\rb\r\n.\r\n", 3, &used), "a\r\n\rb\r\n");
  EXPECT_EQ(unstuff_in_pieces(".\r\n", 2, &used), "");  // an empty message
}

TEST(Sasl, RevealsTheUserNeverThePassword) {
  EXPECT_EQ(sasl_user("PLAIN", std::string("\0alice\0secret", 13), 0), "alice");
  EXPECT_EQ(sasl_user("plain", std::string("admin\0alice\0secret", 18), 0), "alice");
  EXPECT_EQ(sasl_user("LOGIN", "alice", 0), "alice");
  EXPECT_EQ(sasl_user("LOGIN", "secret", 1), "");
  EXPECT_EQ(sasl_user("CRAM-MD5", "alice 0123456789abcdef", 0), "alice");
  EXPECT_EQ(sasl_user("XOAUTH2",
                      "user=alice@example.com\x01"
                      "auth=Bearer t\x01\x01",
                      0),
            "alice@example.com");
  EXPECT_EQ(sasl_user("OAUTHBEARER",
                      "n,a=bob@example.com,\x01"
                      "auth=Bearer t\x01\x01",
                      0),
            "bob@example.com");
  EXPECT_EQ(sasl_user("GSSAPI", "opaque", 0), "");
  EXPECT_EQ(sasl_user("PLAIN", "no separators", 0), "");
}

TEST(Sasl, AnExchangeReadsBase64ResponsesStepByStepAndCanBeCancelled) {
  SaslExchange login;
  login.start("LOGIN");
  std::string user;
  EXPECT_TRUE(login.response("dGFybw==", user));  // "taro"
  EXPECT_EQ(user, "taro");
  EXPECT_TRUE(login.response("c2VjcmV0", user));  // the password: step 1 reveals nothing
  EXPECT_EQ(user, "taro");
  SaslExchange plain;
  plain.start("PLAIN");
  user.clear();
  EXPECT_TRUE(plain.response("=", user));  // an empty initial response, then the real one
  EXPECT_EQ(user, "");
  EXPECT_FALSE(plain.response("*", user));
  EXPECT_TRUE(plain.response("not base64!", user));  // ignored, no crash
  EXPECT_EQ(user, "");
}

TEST(Sasl, ReadsTheUserOfAnNtlmAuthenticateMessage) {
  // NTLMSSP type 3 with Unicode names: domain "EX", user "bob" (RFC-less, [MS-NLMP] 2.2.1.3).
  std::string m("NTLMSSP\0", 8);
  auto u32 = [&](std::uint32_t v) {
    for (int i = 0; i < 4; ++i) m += static_cast<char>((v >> (8 * i)) & 0xff);
  };
  auto field = [&](std::uint16_t len, std::uint32_t off) {
    m += static_cast<char>(len & 0xff);
    m += static_cast<char>(len >> 8);
    m += static_cast<char>(len & 0xff);
    m += static_cast<char>(len >> 8);
    u32(off);
  };
  u32(3);
  field(0, 64);     // LM response
  field(0, 64);     // NT response
  field(4, 64);     // domain
  field(6, 68);     // user
  field(0, 74);     // workstation
  field(0, 74);     // session key
  u32(0x00000001);  // NTLMSSP_NEGOTIATE_UNICODE
  m.resize(64, '\0');
  m += std::string("E\0X\0", 4);
  m += std::string("b\0o\0b\0", 6);
  EXPECT_EQ(sasl_user("NTLM", m, 0), "EX\\bob");
  EXPECT_EQ(sasl_user("NTLM", m.substr(0, 40), 0), "");  // cut short: nothing, no crash
}

TEST(FtpAddress, ReadsPortPasvEprtAndEpsv) {
  auto p = parse_ftp_host_port("192,168,0,13,234,10");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->ip, "192.168.0.13");
  EXPECT_EQ(p->port, 234 * 256 + 10);
  p = parse_ftp_host_port("Entering Passive Mode (172,23,0,2,82,9).");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->ip, "172.23.0.2");
  EXPECT_EQ(p->port, 82 * 256 + 9);
  EXPECT_FALSE(parse_ftp_host_port("1,2,3,4,5"));
  EXPECT_FALSE(parse_ftp_host_port("256,1,1,1,1,1"));

  p = parse_ftp_eprt("|2|fd00:10:16:1::3|40001|");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->ip, "fd00:10:16:1::3");
  EXPECT_EQ(p->port, 40001);
  EXPECT_TRUE(parse_ftp_eprt("!1!192.0.2.1!21!"));
  EXPECT_FALSE(parse_ftp_eprt("|3|x|1|"));
  EXPECT_FALSE(parse_ftp_eprt("|1|192.0.2.1|70000|"));

  p = parse_ftp_epsv_reply("Entering extended passive mode (|||21008|).");
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->ip.empty());
  EXPECT_EQ(p->port, 21008);
  EXPECT_FALSE(parse_ftp_epsv_reply("Entering extended passive mode (||21008|)."));
}

}  // namespace
}  // namespace kagami::wire
