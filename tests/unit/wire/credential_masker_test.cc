#include "kagami/wire/credential_masker.h"

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace kagami::wire {
namespace {

using Conversation = std::vector<std::pair<int, std::string>>;

// Each line of the conversation through one masker, fed in pieces of `step` bytes (0: whole).
std::vector<std::string> masked(const Conversation& c, std::size_t step = 0) {
  CredentialMasker m;
  std::vector<std::string> out;
  for (auto [dir, text] : c) {
    const std::size_t piece = step == 0 ? text.size() : step;
    for (std::size_t i = 0; i < text.size(); i += piece) {
      const std::size_t n = std::min(piece, text.size() - i);
      m.feed(dir, std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(text.data() + i), n));
    }
    out.push_back(text);
  }
  return out;
}

void expect_masked(const Conversation& in, const std::vector<std::string>& want) {
  for (const std::size_t step : {0, 1, 3, 7}) EXPECT_EQ(masked(in, step), want) << "step " << step;
}

TEST(CredentialMasker, FtpAndPop3PasswordsButNotUsersNorTls) {
  expect_masked({{0, "220 ready\r\n"},
                 {1, "AUTH TLS\r\n"},
                 {0, "504 no\r\n"},
                 {1, "USER bob\r\n"},
                 {0, "331 pass\r\n"},
                 {1, "PASS hunter2\r\n"},
                 {0, "230 in\r\n"},
                 {1, "RETR PASS word.txt\r\n"}},
                {"220 ready\r\n", "AUTH TLS\r\n", "504 no\r\n", "USER bob\r\n", "331 pass\r\n",
                 "PASS *******\r\n", "230 in\r\n", "RETR PASS word.txt\r\n"});
  expect_masked({{1, "APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n"}},
                {"APOP mrose ********************************\r\n"});
}

TEST(CredentialMasker, SmtpAuthKeepsTheUserAndMasksWhatProvesIt) {
  expect_masked(
      {{1, "EHLO pc\r\n"},
       {0, "250 AUTH LOGIN PLAIN\r\n"},
       {1, "AUTH LOGIN\r\n"},
       {0, "334 VXNlcm5hbWU6\r\n"},
       {1, "dGFuYWth\r\n"},
       {0, "334 UGFzc3dvcmQ6\r\n"},
       {1, "cGFzcw==\r\n"},
       {0, "235 ok\r\n"},
       {1, "MAIL FROM:<t@x>\r\n"},
       {1, "AUTH PLAIN AHRhbmFrYQBwYXNz\r\n"},
       {0, "235 ok\r\n"},
       {1, "DATA\r\n"},
       {0, "354 go\r\n"},
       {1, "PASS this is mail text\r\nAUTH PLAIN not a command\r\n.\r\n"},
       {0, "250 queued\r\n"},
       {1, "QUIT\r\n"}},
      {"EHLO pc\r\n", "250 AUTH LOGIN PLAIN\r\n", "AUTH LOGIN\r\n", "334 VXNlcm5hbWU6\r\n",
       "dGFuYWth\r\n", "334 UGFzc3dvcmQ6\r\n", "********\r\n", "235 ok\r\n", "MAIL FROM:<t@x>\r\n",
       "AUTH PLAIN ****************\r\n", "235 ok\r\n", "DATA\r\n", "354 go\r\n",
       "PASS this is mail text\r\nAUTH PLAIN not a command\r\n.\r\n", "250 queued\r\n",
       "QUIT\r\n"});
}

TEST(CredentialMasker, Pop3AndImapSaslExchanges) {
  expect_masked({{1, "AUTH PLAIN\r\n"},
                 {0, "+ \r\n"},
                 {1, "AGRpZwBuYXBpZXI=\r\n"},
                 {0, "+OK\r\n"},
                 {1, "STAT\r\n"}},
                {"AUTH PLAIN\r\n", "+ \r\n", "****************\r\n", "+OK\r\n", "STAT\r\n"});
  expect_masked(
      {{1, "a1 AUTHENTICATE PLAIN AGEAYg==\r\n"},
       {0, "a1 OK done\r\n"},
       {1, "a2 AUTHENTICATE CRAM-MD5\r\n"},
       {0, "+ PDE4OTYu\r\n"},
       {1, "dGltIGI5MTNhNjAy\r\n"},
       {0, "a2 OK done\r\n"},
       {1, "a3 SELECT INBOX\r\n"}},
      {"a1 AUTHENTICATE PLAIN ********\r\n", "a1 OK done\r\n", "a2 AUTHENTICATE CRAM-MD5\r\n",
       "+ PDE4OTYu\r\n", "****************\r\n", "a2 OK done\r\n", "a3 SELECT INBOX\r\n"});
}

TEST(CredentialMasker, ImapLoginKeepsTheUserName) {
  expect_masked({{1, "a0001 LOGIN \"neulingern\" \"XXXXXX\"\r\n"},
                 {1, "a2 login tanaka s3cr3t\r\n"},
                 {1, "a3 LOGIN \"ta\\\"naka\" pw\r\n"},
                 {1, "a4 LOGIN {6}\r\n"},
                 {0, "+ go\r\n"}},
                {"a0001 LOGIN \"neulingern\" ********\r\n", "a2 login tanaka ******\r\n",
                 "a3 LOGIN \"ta\\\"naka\" **\r\n", "a4 LOGIN ***\r\n", "+ go\r\n"});
}

TEST(CredentialMasker, HttpAuthorizationInHeadsOnly) {
  expect_masked(
      {{1,
        "GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Basic dXNlcjpwYXNz\r\n"
        "proxy-authorization:NTLM TlRMTVNTUAAD\r\nX-Authorization: keep\r\n\r\n"},
       {0,
        "HTTP/1.1 401 No\r\nWWW-Authenticate: Basic realm=\"x\"\r\nContent-Length: 30\r\n\r\n"
        "Authorization: Basic notAhead\n"},
       {1,
        "POST /p HTTP/1.1\r\nAuthorization: ghp_0123456789abcdef\r\n"
        "Authorization: Bearer   eyJhbGciOi\r\nContent-Length: 28\r\n\r\n"
        "Authorization: Basic body\r\n\r\n"},
       {1, "CONNECT a:443 HTTP/1.1\r\nProxy-Authorization: Basic dGFuYWth\r\n\r\n"}},
      {"GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Basic ************\r\n"
       "proxy-authorization:NTLM ************\r\nX-Authorization: keep\r\n\r\n",
       "HTTP/1.1 401 No\r\nWWW-Authenticate: Basic realm=\"x\"\r\nContent-Length: 30\r\n\r\n"
       "Authorization: Basic notAhead\n",
       "POST /p HTTP/1.1\r\nAuthorization: ********************\r\n"
       "Authorization: Bearer   **********\r\nContent-Length: 28\r\n\r\n"
       "Authorization: Basic body\r\n\r\n",
       "CONNECT a:443 HTTP/1.1\r\nProxy-Authorization: Basic ********\r\n\r\n"});
}

TEST(CredentialMasker, AfterAGapNothingIsGuessedUntilTheNextLine) {
  CredentialMasker m;
  std::string a = "S secret\r\nPASS x\r\n";
  m.gap(1);
  m.feed(1, std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(a.data()), a.size()));
  EXPECT_EQ(a, "S secret\r\nPASS *\r\n");
}

}  // namespace
}  // namespace kagami::wire
