#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "kagami/base/byte_view.h"

namespace kagami::wire {

// The plaintext a mail or file-transfer protocol speaks before it asks for TLS, watched while it
// is relayed so that an interceptor can take part in the upgrade: SMTP STARTTLS (RFC 3207),
// IMAP STARTTLS (RFC 9051 6.2.1), POP3 STLS (RFC 2595 4), FTP AUTH TLS (RFC 4217 4), and
// LDAP's StartTLS extended operation (RFC 4511 4.14), which the client speaks first. It says
// which bytes of each direction may be relayed now and when the server has accepted: the
// client's bytes after its upgrade command are held until the server answers (a client must
// wait for it, RFC 3207 4.2), and server bytes after an acceptance are a violation (plaintext
// injected where TLS must begin, as in CVE-2011-0411).
//
// Only the commands that may come before an upgrade are read as such (EHLO, CAPABILITY,
// CAPA, FEAT, ...); any other (MAIL, LOGIN, USER, a message's lines) ends the watch, so the
// rest of a session that never asks is relayed as is and a message body is never read as
// commands. Lines, commands and bytes watched are bounded.
class StartTlsWatch {
 public:
  enum class State {
    kWatching,   // plaintext, no upgrade asked
    kAsked,      // the client asked; its further bytes are held until the server answers
    kAccepted,   // the server accepted: TLS begins with the client's next (held) bytes
    kGaveUp,     // no upgrade will be watched for (`why` says why): relay the rest as is
    kViolation,  // a side broke the upgrade's rules (`why`): end the connection
  };
  enum class Protocol : std::uint8_t { kUnknown, kSmtp, kImap, kPop3, kFtp, kLdap };

  static constexpr std::size_t kMaxLineBytes = 4096;
  static constexpr std::size_t kMaxWatchedBytes = 64u << 10;  // each direction
  static constexpr std::size_t kMaxCommands = 64;
  static constexpr std::size_t kMaxLdapMessageBytes = 16u << 10;  // before StartTLS: small

  // Whether the server's first bytes can open a protocol watched here ("220", "* OK",
  // "+OK"): false for anything else, relayed as is.
  static bool greets(ByteView server_first);
  // Whether the client's first bytes can begin an LDAP message (a BER SEQUENCE whose first
  // element is a message ID): the watch is then made for LDAP with watch_ldap().
  static bool ldap_first(ByteView client_first);
  void watch_ldap();

  // The client's next bytes: how many of them (from the start) may be relayed now. The rest
  // are held and not read: they come again, first, once the server has refused the upgrade
  // (kWatching again), or are the TLS that begins after an acceptance.
  std::size_t client(ByteView bytes);
  // The server's bytes: how many may be relayed to the client. Bytes beyond an acceptance make
  // the state kViolation.
  std::size_t server(ByteView bytes);

  State state() const { return state_; }
  Protocol protocol() const { return protocol_; }
  const char* protocol_name() const;
  const std::string& why() const { return why_; }

 private:
  // Side 0 (client) or 1 (server): reads `in` from `at` into that side's line; past its end,
  // the line in `line` and the index after it; npos when `in` ran out or a bound was passed
  // (the watch then gave up).
  std::size_t next_line(int side, std::string_view in, std::size_t at, std::string& line);
  // LDAP: reads `in` from `at` into that side's message; past its end, the whole message in
  // `message` and the index after it; npos when `in` ran out or a bound was passed.
  std::size_t next_message(int side, std::string_view in, std::size_t at, std::string& message);
  void on_client_message(std::string_view message);
  void on_server_message(std::string_view message);
  void on_client_line(std::string_view line);
  void on_server_line(std::string_view line);
  void give_up(std::string why);

  State state_ = State::kWatching;
  Protocol protocol_ = Protocol::kUnknown;
  bool greeted_ = false;
  bool ambiguous_220_ = false;  // a "220" greeting: SMTP or FTP, as the client's commands say
  std::string tag_;             // IMAP: the STARTTLS command's tag; LDAP: its message ID
  std::string line_[2];         // [from server] the line being read
  std::size_t watched_[2] = {0, 0};
  std::size_t commands_ = 0;
  // SMTP, FTP, POP3: commands relayed whose final reply has not come yet; replies come in order
  // (RFC 2920 3), so the upgrade's answer is the one after the replies to those before it.
  std::size_t unanswered_ = 0;
  std::string why_;
};

}  // namespace kagami::wire
