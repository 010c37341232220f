// SMTP, POP3 and IMAP conversations played through the analyzers, as clients and servers
// really send them: pipelined, split anywhere, refused, cut short.
#include <string>

#include <gtest/gtest.h>

#include "unit/analyzers/harness.h"

namespace kagami::testing {
namespace {

const std::string kMessage =
    "From: Taro <taro@example.jp>\r\n"
    "To: hanako@example.jp\r\n"
    "Subject: =?ISO-2022-JP?B?GyRCRnxLXDhsJE43b0w+GyhC?=\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=x\r\n\r\n"
    "--x\r\nContent-Type: text/plain\r\n\r\n.a line that starts with a dot\r\n"
    "--x\r\nContent-Type: application/octet-stream; name=a.bin\r\n"
    "Content-Transfer-Encoding: base64\r\n\r\nAAECAw==\r\n--x--\r\n";

// What goes on the wire in DATA or a POP3 response: leading dots doubled.
std::string stuffed(const std::string& m) {
  std::string out;
  bool start = true;
  for (char c : m) {
    if (start && c == '.') out += '.';
    out += c;
    start = c == '\n';
  }
  return out;
}

TEST(SmtpAnalyzer, PipelinedEnvelopeAuthAndMessage) {
  for (std::size_t piece : {1000000u, 7u, 1u}) {
    SCOPED_TRACE(piece);
    AnalyzerHarness h;
    auto s = h.tcp(2525);  // not port 25: the greeting and EHLO tell
    auto& a = *s;
    h.send(a, kS2C, "220 mx.example.jp ESMTP Postfix\r\n");
    h.send_split(a, kC2S, "EHLO client.example.jp\r\n", piece);
    h.send(a, kS2C, "250-mx.example.jp\r\n250-PIPELINING\r\n250 AUTH PLAIN LOGIN\r\n");
    h.send_split(a, kC2S, "AUTH LOGIN\r\n", piece);
    h.send(a, kS2C, "334 VXNlcm5hbWU6\r\n");
    h.send_split(a, kC2S, "dGFybw==\r\n", piece);  // "taro"
    h.send(a, kS2C, "334 UGFzc3dvcmQ6\r\n");
    h.send_split(a, kC2S, "c2VjcmV0\r\n", piece);  // the password: never kept
    h.send(a, kS2C, "235 2.7.0 Authentication successful\r\n");
    h.send_split(a, kC2S,
                 "MAIL FROM:<taro@example.jp> SIZE=999\r\nRCPT TO:<hanako@example.jp>\r\n"
                 "RCPT TO:<nobody@example.jp>\r\nRCPT TO:<bcc@example.jp>\r\nDATA\r\n",
                 piece);
    h.send(a, kS2C, "250 ok\r\n250 ok\r\n550 no such user\r\n250 ok\r\n354 go ahead\r\n");
    h.send_split(a, kC2S, stuffed(kMessage) + ".\r\nQUIT\r\n", piece);
    h.send(a, kS2C, "250 queued\r\n221 bye\r\n");
    a.close(2'000'000'000);

    ASSERT_EQ(h.records.mail.size(), 1u);
    const auto& m = h.records.mail[0];
    EXPECT_EQ(m.protocol, "smtp");
    EXPECT_EQ(m.direction, "sent");
    EXPECT_EQ(m.helo, "client.example.jp");
    EXPECT_EQ(m.user, "taro");
    EXPECT_EQ(m.mail_from, "taro@example.jp");
    EXPECT_EQ(m.rcpt_to, (std::vector<std::string>{"hanako@example.jp", "bcc@example.jp"}));
    EXPECT_EQ(m.subject, "日本語の件名");
    EXPECT_EQ(m.flags, 0u);
    EXPECT_EQ(h.file_bytes(m.eml_sha256), kMessage);
    ASSERT_EQ(m.attachments.size(), 1u);
    EXPECT_EQ(h.file_bytes(m.attachments[0].sha256), std::string("\0\1\2\3", 4));
    EXPECT_EQ(a.state().apps, std::vector<std::string>{"smtp"});
    EXPECT_EQ(a.state().user, "taro");
  }
}

TEST(SmtpAnalyzer, RefusedDataLeavesNoMessageAndCommandsGoOn) {
  AnalyzerHarness h;
  auto s = h.tcp(25);
  h.send(*s, kS2C, "220 mx ESMTP\r\n");
  h.send(*s, kC2S, "HELO a\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\nDATA\r\n");
  h.send(*s, kS2C, "250 hi\r\n250 ok\r\n550 no\r\n554 no valid recipients\r\n");
  h.send(*s, kC2S, "MAIL FROM:<a@x>\r\nRCPT TO:<c@x>\r\nDATA\r\n");
  h.send(*s, kS2C, "250 ok\r\n250 ok\r\n354 go\r\n");
  h.send(*s, kC2S, "Subject: second\r\n\r\nhi\r\n.\r\n");
  s->close(2);
  ASSERT_EQ(h.records.mail.size(), 1u);
  EXPECT_EQ(h.records.mail[0].subject, "second");
  EXPECT_EQ(h.records.mail[0].rcpt_to, std::vector<std::string>{"c@x"});
}

TEST(SmtpAnalyzer, BdatChunksMakeOneMessage) {
  AnalyzerHarness h;
  auto s = h.tcp(25);
  h.send(*s, kS2C, "220 mx ESMTP\r\n");
  const std::string m = "Subject: chunked\r\n\r\n.no stuffing in BDAT\r\n";
  h.send(*s, kC2S,
         "EHLO a\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\nBDAT 10\r\n" + m.substr(0, 10) + "BDAT " +
             std::to_string(m.size() - 10) + " LAST\r\n" + m.substr(10) + "QUIT\r\n");
  s->close(2);
  ASSERT_EQ(h.records.mail.size(), 1u);
  EXPECT_EQ(h.records.mail[0].subject, "chunked");
  EXPECT_EQ(h.file_bytes(h.records.mail[0].eml_sha256), m);
}

TEST(SmtpAnalyzer, StartTlsHandsTheSessionToTls) {
  AnalyzerHarness h;
  auto s = h.tcp(587);
  h.send(*s, kS2C, "220 mx ESMTP\r\n");
  h.send(*s, kC2S, "EHLO a\r\nSTARTTLS\r\n");
  h.send(*s, kS2C, "250-mx\r\n250 STARTTLS\r\n220 ready\r\n");
  // A TLS 1.2 ClientHello record header and the start of a handshake.
  h.send(*s, kC2S, std::string("\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00", 10));
  s->close(2);
  ASSERT_GE(s->state().apps.size(), 1u);
  EXPECT_EQ(s->state().apps[0], "smtp");
  EXPECT_TRUE(s->state().apps.size() == 2 && s->state().apps[1] == "tls");
}

TEST(SmtpAnalyzer, MessageCutByTheEndIsKeptAndFlagged) {
  AnalyzerHarness h;
  auto s = h.tcp(25);
  h.send(*s, kS2C, "220 mx ESMTP\r\n");
  h.send(*s, kC2S, "EHLO a\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\nDATA\r\n");
  h.send(*s, kS2C, "250 a\r\n250 b\r\n250 c\r\n354 go\r\n");
  h.send(*s, kC2S, "Subject: cut\r\n\r\nhalf a mess");
  s->close(2);
  ASSERT_EQ(h.records.mail.size(), 1u);
  EXPECT_TRUE(h.records.mail[0].flags & records::kMailPartial);
  EXPECT_EQ(h.records.mail[0].subject, "cut");
}

TEST(Pop3Analyzer, RetrAndTopWithUser) {
  AnalyzerHarness h;
  auto s = h.tcp(110);
  h.send(*s, kS2C, "+OK POP3 ready\r\n");
  h.send(*s, kC2S, "USER hanako\r\n");
  h.send(*s, kS2C, "+OK\r\n");
  h.send(*s, kC2S, "PASS secret\r\nLIST\r\nRETR 1\r\nTOP 2 0\r\n");
  h.send_split(*s, kS2C,
               "+OK logged in\r\n+OK 2 messages\r\n1 100\r\n2 200\r\n.\r\n+OK\r\n" +
                   stuffed(kMessage) + ".\r\n+OK\r\nSubject: only headers\r\n\r\n.\r\n",
               5);
  s->close(2);
  ASSERT_EQ(h.records.mail.size(), 2u);
  EXPECT_EQ(h.records.mail[0].protocol, "pop3");
  EXPECT_EQ(h.records.mail[0].direction, "received");
  EXPECT_EQ(h.records.mail[0].user, "hanako");
  EXPECT_EQ(h.file_bytes(h.records.mail[0].eml_sha256), kMessage);
  EXPECT_EQ(h.records.mail[1].subject, "only headers");
  EXPECT_TRUE(h.records.mail[1].flags & records::kMailHeadersOnly);
}

TEST(Pop3Analyzer, AuthPlainRevealsTheUserAndErrorsAreNoMessages) {
  AnalyzerHarness h;
  auto s = h.tcp(110);
  h.send(*s, kS2C, "+OK ready\r\n");
  h.send(*s, kC2S, "AUTH PLAIN\r\n");
  h.send(*s, kS2C, "+ \r\n");
  h.send(*s, kC2S, "AGhhbmFrbwBzZWNyZXQ=\r\n");  // \0hanako\0secret
  h.send(*s, kS2C, "+OK\r\n");
  h.send(*s, kC2S, "RETR 9\r\n");
  h.send(*s, kS2C, "-ERR no such message\r\n");
  s->close(2);
  EXPECT_TRUE(h.records.mail.empty());
  EXPECT_EQ(s->state().user, "hanako");
}

TEST(ImapAnalyzer, FetchLiteralsHeaderFetchesAndAppend) {
  for (std::size_t piece : {1000000u, 3u}) {
    SCOPED_TRACE(piece);
    AnalyzerHarness h;
    auto s = h.tcp(143);
    auto& a = *s;
    h.send(a, kS2C, "* OK IMAP4rev1 ready\r\n");
    h.send_split(a, kC2S, "a1 LOGIN {6}\r\n", piece);
    h.send(a, kS2C, "+ go ahead\r\n");
    h.send_split(a, kC2S, "hanako \"pass word\"\r\na2 SELECT \"INBOX/Work\"\r\n", piece);
    h.send(a, kS2C, "a1 OK logged in\r\n* 3 EXISTS\r\na2 OK [READ-WRITE] done\r\n");
    h.send_split(a, kC2S, "a3 UID FETCH 1:2 (BODY.PEEK[HEADER.FIELDS (SUBJECT)] BODY[])\r\n",
                 piece);
    const std::string head = "Subject: head only\r\n\r\n";
    h.send_split(a, kS2C,
                 "* 1 FETCH (UID 7 BODY[HEADER.FIELDS (SUBJECT)] {" + std::to_string(head.size()) +
                     "}\r\n" + head + " BODY[] {" + std::to_string(kMessage.size()) + "}\r\n" +
                     kMessage + ")\r\na3 OK fetched\r\n",
                 piece);
    const std::string sent = "Subject: draft\r\n\r\nappended\r\n";
    h.send_split(
        a, kC2S,
        "a4 APPEND Drafts (\\Seen) {" + std::to_string(sent.size()) + "+}\r\n" + sent + "\r\n",
        piece);
    h.send(a, kS2C, "a4 OK appended\r\n");
    a.close(2);
    ASSERT_EQ(h.records.mail.size(), 3u);
    EXPECT_EQ(h.records.mail[0].subject, "head only");
    EXPECT_TRUE(h.records.mail[0].flags & records::kMailHeadersOnly);
    EXPECT_EQ(h.records.mail[1].subject, "日本語の件名");
    EXPECT_EQ(h.file_bytes(h.records.mail[1].eml_sha256), kMessage);
    EXPECT_EQ(h.records.mail[1].folder, "INBOX/Work");
    EXPECT_EQ(h.records.mail[1].user, "hanako");
    EXPECT_EQ(h.records.mail[1].direction, "received");
    EXPECT_EQ(h.records.mail[2].direction, "sent");
    EXPECT_EQ(h.records.mail[2].folder, "Drafts");
    EXPECT_EQ(h.file_bytes(h.records.mail[2].eml_sha256), sent);
  }
}

// Thunderbird's way with large messages: BODY.PEEK[]<0.N>, <N.N>, ... until a short piece.
std::string fetch_in_pieces(const std::string& message, std::size_t piece, bool with_size) {
  std::string out;
  for (std::size_t at = 0, tag = 10;; at += piece, ++tag) {
    const std::string part = message.substr(std::min(at, message.size()), piece);
    out += "* 7 FETCH (UID 70 " +
           (with_size && at == 0 ? "RFC822.SIZE " + std::to_string(message.size()) + " " : "") +
           "BODY[]<" + std::to_string(at) + "> {" + std::to_string(part.size()) + "}\r\n" + part +
           ")\r\na" + std::to_string(tag) + " OK done\r\n";
    if (part.size() < piece) break;
  }
  return out;
}

TEST(ImapAnalyzer, AMessageFetchedInPiecesIsJoined) {
  for (bool with_size : {false, true}) {
    SCOPED_TRACE(with_size);
    AnalyzerHarness h;
    auto s = h.tcp(143);
    h.send(*s, kS2C, "* OK ready\r\n");
    h.send(*s, kC2S, "a1 LOGIN hanako secret\r\na2 SELECT INBOX\r\n");
    h.send(*s, kS2C, "a1 OK\r\na2 OK\r\n");
    h.send_split(*s, kS2C, fetch_in_pieces(kMessage, 100, with_size), 37);
    // The next message starts while nothing is pending: the first is whole.
    ASSERT_EQ(h.records.mail.size(), 1u);
    EXPECT_EQ(h.records.mail[0].flags, 0u);
    EXPECT_EQ(h.file_bytes(h.records.mail[0].eml_sha256), kMessage);
    EXPECT_EQ(h.records.mail[0].subject, "日本語の件名");
    ASSERT_EQ(h.records.mail[0].attachments.size(), 1u);
    s->close(2);
  }
}

TEST(ImapAnalyzer, PiecesCutByTheEndAreFlaggedPartial) {
  AnalyzerHarness h;
  auto s = h.tcp(143);
  h.send(*s, kS2C, "* OK ready\r\n");
  h.send(*s, kS2C, "* 3 FETCH (BODY[]<0> {100}\r\n" + kMessage.substr(0, 100) + ")\r\n");
  s->close(2);
  ASSERT_EQ(h.records.mail.size(), 1u);
  EXPECT_TRUE(h.records.mail[0].flags & records::kMailPartial);
}

TEST(ImapAnalyzer, AppendRefusedBeforeTheLiteralSendsNothing) {
  AnalyzerHarness h;
  auto s = h.tcp(143);
  h.send(*s, kS2C, "* OK ready\r\n");
  h.send(*s, kC2S, "a1 APPEND Nowhere {20}\r\n");
  h.send(*s, kS2C, "a1 NO [TRYCREATE] no such mailbox\r\n");
  h.send(*s, kC2S, "a2 LOGOUT\r\n");
  s->close(2);
  EXPECT_TRUE(h.records.mail.empty());
}

TEST(ImapAnalyzer, AuthenticatePlainRevealsTheUser) {
  AnalyzerHarness h;
  auto s = h.tcp(143);
  h.send(*s, kS2C, "* OK ready\r\n");
  h.send(*s, kC2S, "a1 AUTHENTICATE PLAIN\r\n");
  h.send(*s, kS2C, "+ \r\n");
  h.send(*s, kC2S, "AGhhbmFrbwBzZWNyZXQ=\r\n");
  h.send(*s, kS2C, "a1 OK\r\n");
  s->close(2);
  EXPECT_EQ(s->state().user, "hanako");
}

TEST(FtpAnalyzer, PassiveRetrBecomesANamedFileLinkedToItsCommand) {
  AnalyzerHarness h;
  auto ctl = h.tcp(21, 1);
  h.send(*ctl, kS2C, "220 FTP ready\r\n");
  h.send(*ctl, kC2S, "USER alice\r\n");
  h.send(*ctl, kS2C, "331 password\r\n");
  h.send(*ctl, kC2S, "PASS secret\r\n");
  h.send(*ctl, kS2C, "230-Welcome\r\n230-to the server\r\n230 logged in\r\n");
  h.send(*ctl, kC2S, "PASV\r\n");
  h.send(*ctl, kS2C, "227 Entering Passive Mode (198,51,100,2,78,32).\r\n");  // port 20000
  h.send(*ctl, kC2S, "RETR /pub/report.pdf\r\n");
  h.send(*ctl, kS2C, "150 Opening BINARY mode data connection\r\n");

  // The data connection: the recorder claims it by address at its start.
  analyzers::SessionState st = h.announced(2, 50001, 20000);
  ASSERT_TRUE(st.expected);
  ASSERT_EQ(st.expected->parent_session, 1u);
  analyzers::SessionAnalysis data(std::move(st), h.cx);
  h.send(data, kS2C, "GET / HTTP/1.1\r\n%PDF-1.7 looks like anything");
  data.on_end(kS2C, 3);
  data.close(3);
  h.send(*ctl, kS2C, "226 Transfer complete\r\n");
  ctl->close(4);

  EXPECT_EQ(data.state().apps, std::vector<std::string>{"ftp-data"});
  ASSERT_EQ(h.records.events.size(), 1u);
  const auto& e = h.records.events[0];
  EXPECT_EQ(e.name, "report.pdf");
  EXPECT_EQ(e.direction, "received");
  EXPECT_EQ(e.protocol, "ftp");
  EXPECT_EQ(h.file_bytes(e.sha256), "GET / HTTP/1.1\r\n%PDF-1.7 looks like anything");
  ASSERT_EQ(h.records.ftp.size(), 4u);
  EXPECT_EQ(h.records.ftp[1].arg, "********");
  EXPECT_EQ(h.records.ftp[2].reply_code, 227);
  EXPECT_EQ(h.records.ftp[2].data, "198.51.100.2:20000");
  EXPECT_EQ(h.records.ftp[3].command, "RETR");
  EXPECT_EQ(h.records.ftp[3].reply_code, 226);
  EXPECT_EQ(e.record_id, h.records.ftp[3].id);
  EXPECT_EQ(h.records.ftp[3].user, "alice");
}

}  // namespace
}  // namespace kagami::testing
