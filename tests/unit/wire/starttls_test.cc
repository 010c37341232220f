#include "kagami/wire/starttls.h"

#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace kagami::wire {
namespace {

using State = StartTlsWatch::State;

ByteView bytes(std::string_view s) {
  return ByteView(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

// Feeds one side's words as a relay would, whole; the client's held bytes are kept and fed
// again while the watch reads the client.
struct Relay {
  StartTlsWatch watch;
  std::string held;
  std::string to_server, to_client;

  void server(std::string_view s) {
    const std::size_t n = watch.server(bytes(s));
    to_client += s.substr(0, n);
    client("");
  }
  void client(std::string_view s) {
    held += s;
    if (watch.state() != State::kWatching && watch.state() != State::kGaveUp) return;
    const std::size_t n = watch.client(bytes(held));
    to_server += held.substr(0, n);
    held.erase(0, n);
  }
};

TEST(StartTlsWatch, SmtpUpgradeHoldsWhatTheClientSentAfterItsCommand) {
  Relay r;
  r.server("220 mx.example.jp ESMTP\r\n");
  r.client("EHLO pc.example.jp\r\n");
  r.server("250-mx.example.jp\r\n250-STARTTLS\r\n250 8BITMIME\r\n");
  r.client("STARTTLS\r\n\x16\x03\x01");  // a client that did not wait (RFC 3207 says it must)
  EXPECT_EQ(r.watch.state(), State::kAsked);
  EXPECT_EQ(r.watch.protocol(), StartTlsWatch::Protocol::kSmtp);
  EXPECT_EQ(r.to_server, "EHLO pc.example.jp\r\nSTARTTLS\r\n");
  EXPECT_EQ(r.held, "\x16\x03\x01");
  r.server("220 2.0.0 Ready to start TLS\r\n");
  EXPECT_EQ(r.watch.state(), State::kAccepted);
  EXPECT_TRUE(r.to_client.ends_with("220 2.0.0 Ready to start TLS\r\n"));
  EXPECT_EQ(r.held, "\x16\x03\x01");  // the TLS that follows is the interceptor's
}

TEST(StartTlsWatch, ARefusedUpgradeLetsThePlaintextGoOn) {
  Relay r;
  r.server("220 mx ESMTP\r\n");
  r.client("EHLO a\r\nSTARTTLS\r\nQUIT\r\n");
  EXPECT_EQ(r.to_server, "EHLO a\r\nSTARTTLS\r\n");
  r.server("250 mx\r\n");  // EHLO's answer: still waiting for STARTTLS's
  EXPECT_EQ(r.watch.state(), State::kAsked);
  r.server("454 4.7.0 TLS not available\r\n");
  EXPECT_EQ(r.to_server, "EHLO a\r\nSTARTTLS\r\nQUIT\r\n");  // QUIT ends the watch
  EXPECT_EQ(r.watch.state(), State::kGaveUp);
}

TEST(StartTlsWatch, PlaintextInjectedAfterTheAcceptanceIsAViolation) {
  Relay r;
  r.server("220 mx ESMTP\r\n");
  r.client("STARTTLS\r\n");
  r.server("220 go ahead\r\n250 injected\r\n");
  EXPECT_EQ(r.watch.state(), State::kViolation);
  EXPECT_EQ(r.to_client, "220 mx ESMTP\r\n220 go ahead\r\n");  // nothing after the acceptance
  StartTlsWatch later;
  later.server(bytes("220 mx ESMTP\r\n"));
  later.client(bytes("STARTTLS\r\n"));
  EXPECT_EQ(later.server(bytes("220 go ahead\r\n")), 14u);
  EXPECT_EQ(later.server(bytes("250 more")), 0u);
  EXPECT_EQ(later.state(), State::kViolation);
  EXPECT_FALSE(later.why().empty());
}

// A message's lines are never read as commands: the watch ends at MAIL.
TEST(StartTlsWatch, ASessionThatNeverAsksIsRelayedWhole) {
  Relay r;
  r.server("220 mx ESMTP\r\n");
  r.client("EHLO a\r\nMAIL FROM:<a@example.jp>\r\nDATA\r\nSTARTTLS\r\n.\r\n");
  EXPECT_EQ(r.watch.state(), State::kGaveUp);
  EXPECT_EQ(r.to_server, "EHLO a\r\nMAIL FROM:<a@example.jp>\r\nDATA\r\nSTARTTLS\r\n.\r\n");
  r.server("220 not an answer to anything\r\n");
  EXPECT_EQ(r.watch.state(), State::kGaveUp);
}

TEST(StartTlsWatch, ImapWaitsForItsOwnTag) {
  Relay r;
  r.server("* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n");
  r.client("a1 CAPABILITY\r\n");
  r.server("* CAPABILITY IMAP4rev1 STARTTLS\r\na1 OK done\r\n");
  EXPECT_EQ(r.watch.state(), State::kWatching);
  r.client("a2 STARTTLS\r\n");
  r.server("a1 OK stray\r\n* BYE not yet\r\n");
  EXPECT_EQ(r.watch.state(), State::kAsked);
  r.server("a2 OK Begin TLS negotiation now\r\n");
  EXPECT_EQ(r.watch.state(), State::kAccepted);
  EXPECT_EQ(r.watch.protocol(), StartTlsWatch::Protocol::kImap);
  Relay no;
  no.server("* OK ready\r\n");
  no.client("a1 STARTTLS\r\n");
  no.server("a1 BAD no\r\n");
  EXPECT_EQ(no.watch.state(), State::kWatching);
  no.client("a2 LOGIN tanaka secret\r\n");
  EXPECT_EQ(no.watch.state(), State::kGaveUp);
  Relay pre;
  pre.server("* PREAUTH logged in\r\n");
  EXPECT_EQ(pre.watch.state(), State::kGaveUp);
}

TEST(StartTlsWatch, Pop3StlsAfterAMultiLineCapa) {
  Relay r;
  r.server("+OK POP3 ready\r\n");
  r.client("CAPA\r\n");
  r.server("+OK Capability list follows\r\nSTLS\r\nUSER\r\n.\r\n");
  EXPECT_EQ(r.watch.state(), State::kWatching);
  r.client("STLS\r\n");
  r.server("+OK Begin TLS\r\n");
  EXPECT_EQ(r.watch.state(), State::kAccepted);
  EXPECT_STREQ(r.watch.protocol_name(), "pop3");
}

TEST(StartTlsWatch, FtpAuthTlsAfterFeatTellsFtpFromSmtp) {
  Relay r;
  r.server("220 (vsFTPd 3.0.3)\r\n");
  r.client("FEAT\r\n");
  r.server("211-Features:\r\n AUTH TLS\r\n PBSZ\r\n211 End\r\n");
  r.client("AUTH TLS\r\n");
  EXPECT_EQ(r.watch.state(), State::kAsked);
  r.server("234 Proceed with negotiation.\r\n");
  EXPECT_EQ(r.watch.state(), State::kAccepted);
  EXPECT_STREQ(r.watch.protocol_name(), "ftp");
  Relay user;
  user.server("220 ftp\r\n");
  user.client("USER anonymous\r\n");
  EXPECT_EQ(user.watch.state(), State::kGaveUp);
}

TEST(StartTlsWatch, GreetingsItKnowsAndBounds) {
  EXPECT_TRUE(StartTlsWatch::greets(bytes("220 mx ESMTP")));
  EXPECT_TRUE(StartTlsWatch::greets(bytes("* OK ready")));
  EXPECT_TRUE(StartTlsWatch::greets(bytes("+OK")));
  EXPECT_FALSE(StartTlsWatch::greets(bytes("SSH-2.0-OpenSSH_9.2")));
  EXPECT_FALSE(StartTlsWatch::greets(bytes("HTTP/1.1 200 OK")));
  Relay r;
  r.server("220 mx ESMTP\r\n");
  r.client(std::string(StartTlsWatch::kMaxLineBytes + 10, 'A'));
  EXPECT_EQ(r.watch.state(), State::kGaveUp);
  EXPECT_TRUE(r.held.empty());
  Relay many;
  many.server("220 mx ESMTP\r\n");
  for (std::size_t i = 0; i <= StartTlsWatch::kMaxCommands; ++i) many.client("NOOP\r\n");
  EXPECT_EQ(many.watch.state(), State::kGaveUp);
}

// Byte by byte, the same as whole.
TEST(StartTlsWatch, SplitAnywhereTheSame) {
  const std::string server = "220 mx ESMTP\r\n250-mx\r\n250 STARTTLS\r\n220 ready\r\n";
  const std::string client = "EHLO a\r\nSTARTTLS\r\n";
  StartTlsWatch w;
  std::size_t sent = 0;
  for (char c : server.substr(0, 14)) w.server(bytes(std::string(1, c)));
  for (char c : client) sent += w.client(bytes(std::string(1, c)));
  for (char c : server.substr(14)) w.server(bytes(std::string(1, c)));
  EXPECT_EQ(sent, client.size());
  EXPECT_EQ(w.state(), State::kAccepted);
}

// LDAP messages as ldapsearch sends them: a BER SEQUENCE of the message ID and the operation.
std::string ldap(int id, unsigned char op, const std::string& body) {
  std::string inner = std::string{0x02, 0x01, static_cast<char>(id)};
  inner += static_cast<char>(op);
  inner += static_cast<char>(body.size());
  inner += body;
  return std::string{0x30, static_cast<char>(inner.size())} + inner;
}
const std::string kStartTlsOid = "1.3.6.1.4.1.1466.20037";
std::string start_tls(int id) {
  return ldap(id, 0x77, std::string{static_cast<char>(0x80), 22} + kStartTlsOid);
}
std::string extended_response(int id, int code) {
  return ldap(id, 0x78, std::string{0x0a, 0x01, static_cast<char>(code), 0x04, 0x00, 0x04, 0x00});
}

TEST(StartTlsWatch, LdapStartTlsAfterARootDseSearch) {
  // The client speaks first: a search of the root DSE (its supportedExtension), then StartTLS.
  const std::string search = ldap(1, 0x63, std::string("\x04\x00\x0a\x01\x00", 5));
  ASSERT_TRUE(StartTlsWatch::ldap_first(bytes(search)));
  EXPECT_FALSE(StartTlsWatch::ldap_first(bytes("\x16\x03\x01")));
  EXPECT_FALSE(StartTlsWatch::ldap_first(bytes("GET / HTTP/1.1\r\n")));
  Relay r;
  r.watch.watch_ldap();
  r.client(search);
  r.server(ldap(1, 0x64, std::string(40, 'e')) +
           ldap(1, 0x65, std::string("\x0a\x01\x00\x04\x00\x04\x00", 7)));
  EXPECT_EQ(r.watch.state(), State::kWatching) << r.watch.why();
  // A StartTLS refused (unavailable, 52): what the client sent after it waits, then goes on in
  // plaintext; then one accepted.
  const std::string after = ldap(6, 0x63, std::string("\x04\x00\x0a\x01\x00", 5));
  r.client(start_tls(2) + after);
  EXPECT_EQ(r.watch.state(), State::kAsked);
  EXPECT_EQ(r.held, after);
  r.server(extended_response(2, 52));
  EXPECT_EQ(r.watch.state(), State::kWatching) << r.watch.why();
  EXPECT_TRUE(r.held.empty());
  EXPECT_EQ(r.to_server, search + start_tls(2) + after);
  r.client(start_tls(3) + "\x16\x03\x01");
  r.server(extended_response(9, 0));  // another message's answer decides nothing
  EXPECT_EQ(r.watch.state(), State::kAsked);
  r.server(extended_response(3, 0));
  EXPECT_EQ(r.watch.state(), State::kAccepted);
  EXPECT_EQ(r.held, "\x16\x03\x01");
  EXPECT_STREQ(r.watch.protocol_name(), "ldap");
  // Plaintext the server sends after it accepted: a violation.
  EXPECT_EQ(r.watch.server(bytes(ldap(4, 0x64, "x"))), 0u);
  EXPECT_EQ(r.watch.state(), State::kViolation);
}

TEST(StartTlsWatch, LdapThatNeverAsksOrLiesIsRelayedAsIs) {
  for (const std::string& client :
       {ldap(1, 0x42, ""),                                       // unbind
        std::string("\x30\x84\x7f\xff\xff\xff\x02\x01\x01", 9),  // 2 GiB announced
        std::string("\x30\x80\x02\x01\x01", 5),                  // indefinite length
        std::string("\x30\x03\x04\x01\x01") + "more"}) {         // no message ID
    Relay r;
    r.watch.watch_ldap();
    r.client(client);
    EXPECT_EQ(r.watch.state(), State::kGaveUp) << r.watch.why();
    EXPECT_EQ(r.to_server, client);
  }
  // Split anywhere, the same answer.
  const std::string both = start_tls(5) + "\x16";
  for (std::size_t step = 1; step < both.size(); ++step) {
    Relay r;
    r.watch.watch_ldap();
    for (std::size_t i = 0; i < both.size(); i += step) r.client(both.substr(i, step));
    r.server(extended_response(5, 0));
    EXPECT_EQ(r.watch.state(), State::kAccepted) << step;
    EXPECT_EQ(r.to_server, start_tls(5)) << step;
  }
}

}  // namespace
}  // namespace kagami::wire
