#include "kagami/wire/starttls.h"

#include <initializer_list>
#include <utility>

#include "kagami/base/ascii.h"
#include "kagami/wire/text_line.h"

namespace kagami::wire {

namespace {

std::string_view chars(ByteView b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

std::string_view without_end(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  return line;
}

bool one_of(std::string_view word, std::initializer_list<std::string_view> words) {
  for (std::string_view w : words)
    if (iequals(word, w)) return true;
  return false;
}

// A reply line's three-digit code (SMTP, FTP), or -1; `last`: not a continuation ("220-").
int reply_code(std::string_view line, bool& last) {
  if (line.size() < 3) return -1;
  int code = 0;
  for (int i = 0; i < 3; ++i) {
    if (line[i] < '0' || line[i] > '9') return -1;
    code = code * 10 + (line[i] - '0');
  }
  last = line.size() == 3 || line[3] != '-';
  return code;
}

// BER (X.690) as LDAP uses it: a tag byte, a definite length (short form, or long form of up to
// four bytes). The header's size and the content's length, or false when `in` does not hold a
// whole header yet (`need_more`) or it is not one LDAP sends.
bool ber_header(std::string_view in, std::size_t& header, std::size_t& length, bool& need_more) {
  need_more = in.size() < 2;
  if (need_more) return false;
  const auto first = static_cast<unsigned char>(in[1]);
  if (first < 0x80) {
    header = 2;
    length = first;
    return true;
  }
  const std::size_t n = first & 0x7f;
  if (n == 0 || n > 4) return false;  // indefinite, or longer than anything LDAP sends
  need_more = in.size() < 2 + n;
  if (need_more) return false;
  length = 0;
  for (std::size_t i = 0; i < n; ++i) length = length << 8 | static_cast<unsigned char>(in[2 + i]);
  header = 2 + n;
  return true;
}

// One element of `in` at `at`: its tag and content, `at` moved past it; false when it does not
// fit.
bool ber_element(std::string_view in, std::size_t& at, unsigned char& tag,
                 std::string_view& content) {
  if (at >= in.size()) return false;
  std::size_t header = 0, length = 0;
  bool more = false;
  const std::string_view rest = in.substr(at);
  if (!ber_header(rest, header, length, more) || length > rest.size() - header) return false;
  tag = static_cast<unsigned char>(rest[0]);
  content = rest.substr(header, length);
  at += header + length;
  return true;
}

// An LDAPMessage (RFC 4511 4.1.1): its message ID (as digits) and protocol operation.
bool ldap_message(std::string_view message, std::string& id, unsigned char& op,
                  std::string_view& body) {
  std::size_t at = 0;
  unsigned char tag = 0;
  std::string_view seq, id_bytes;
  if (!ber_element(message, at, tag, seq) || tag != 0x30) return false;
  std::size_t in = 0;
  if (!ber_element(seq, in, tag, id_bytes) || tag != 0x02 || id_bytes.empty() ||
      id_bytes.size() > 4)
    return false;
  std::uint32_t n = 0;
  for (char c : id_bytes) n = n << 8 | static_cast<unsigned char>(c);
  id = std::to_string(n);
  return ber_element(seq, in, op, body);
}

constexpr std::string_view kLdapStartTlsOid = "1.3.6.1.4.1.1466.20037";

}  // namespace

bool StartTlsWatch::ldap_first(ByteView client_first) {
  const std::string_view s = chars(client_first);
  std::size_t header = 0, length = 0;
  bool more = false;
  if (s.empty() || s[0] != 0x30) return false;
  if (!ber_header(s, header, length, more)) return more;
  // The message ID: an INTEGER of one to four bytes.
  if (s.size() > header && s[header] != 0x02) return false;
  if (s.size() > header + 1 && (s[header + 1] < 1 || s[header + 1] > 4)) return false;
  return length >= 5;
}

void StartTlsWatch::watch_ldap() {
  protocol_ = Protocol::kLdap;
  greeted_ = true;
}

std::size_t StartTlsWatch::next_message(int side, std::string_view in, std::size_t at,
                                        std::string& message) {
  static constexpr const char* kTooMuch[2] = {
      "the client's plaintext went past what is watched for an upgrade",
      "the server's plaintext went past what is watched for an upgrade"};
  std::string& m = line_[side];
  while (at < in.size()) {
    // Up to the length's bytes first, then the rest of the message at once.
    std::size_t header = 0, length = 0;
    bool more = false;
    std::size_t want = 6;
    if (!m.empty() && m[0] != 0x30) {
      give_up(side == 0 ? "the client sent something other than LDAP"
                        : "the server sent something other than LDAP");
      return std::string_view::npos;
    }
    if (ber_header(m, header, length, more)) {
      if (length > kMaxLdapMessageBytes) {
        give_up("an LDAP message longer than those before StartTLS");
        return std::string_view::npos;
      }
      want = header + length;
    } else if (!more) {
      give_up(side == 0 ? "the client sent something other than LDAP"
                        : "the server sent something other than LDAP");
      return std::string_view::npos;
    } else {
      want = m.size() + 1;
    }
    const std::size_t take = std::min(in.size() - at, want - m.size());
    watched_[side] += take;
    if (watched_[side] > kMaxWatchedBytes) {
      give_up(kTooMuch[side]);
      return std::string_view::npos;
    }
    m.append(in.substr(at, take));
    at += take;
    if (!more && m.size() == want) {
      message.clear();
      message.swap(m);
      return at;
    }
  }
  return std::string_view::npos;
}

void StartTlsWatch::on_client_message(std::string_view message) {
  if (++commands_ > kMaxCommands) return give_up("more operations than come before an upgrade");
  std::string id;
  unsigned char op = 0;
  std::string_view body;
  if (!ldap_message(message, id, op, body)) return give_up("the client sent a broken LDAP message");
  if (op == 0x42) return give_up("the client unbound");  // UnbindRequest
  if (op != 0x77) return;  // a bind, a search of the root DSE...: StartTLS may still come
  // ExtendedRequest: requestName [0] first.
  std::size_t at = 0;
  unsigned char tag = 0;
  std::string_view name;
  if (ber_element(body, at, tag, name) && tag == 0x80 && name == kLdapStartTlsOid) {
    tag_ = id;
    state_ = State::kAsked;
  }
}

void StartTlsWatch::on_server_message(std::string_view message) {
  std::string id;
  unsigned char op = 0;
  std::string_view body;
  if (!ldap_message(message, id, op, body)) return give_up("the server sent a broken LDAP message");
  if (state_ != State::kAsked || op != 0x78 || id != tag_) return;
  // ExtendedResponse: COMPONENTS OF LDAPResult, its resultCode (an ENUMERATED) first.
  std::size_t at = 0;
  unsigned char tag = 0;
  std::string_view code;
  const bool success =
      ber_element(body, at, tag, code) && tag == 0x0a && code.size() == 1 && code[0] == 0;
  state_ = success ? State::kAccepted : State::kWatching;
}

bool StartTlsWatch::greets(ByteView server_first) {
  const std::string_view s = chars(server_first);
  bool last = false;
  return reply_code(s, last) == 220 || istarts_with(s, "* OK") || istarts_with(s, "* PREAUTH") ||
         istarts_with(s, "+OK");
}

const char* StartTlsWatch::protocol_name() const {
  switch (protocol_) {
    case Protocol::kSmtp:
      return "smtp";
    case Protocol::kImap:
      return "imap";
    case Protocol::kPop3:
      return "pop3";
    case Protocol::kFtp:
      return "ftp";
    case Protocol::kLdap:
      return "ldap";
    case Protocol::kUnknown:
      break;
  }
  return "";
}

void StartTlsWatch::give_up(std::string why) {
  if (state_ == State::kWatching || state_ == State::kAsked) {
    state_ = State::kGaveUp;
    why_ = std::move(why);
  }
}

std::size_t StartTlsWatch::next_line(int side, std::string_view in, std::size_t at,
                                     std::string& line) {
  static constexpr const char* kTooMuch[2] = {
      "the client's plaintext went past what is watched for an upgrade",
      "the server's plaintext went past what is watched for an upgrade"};
  static constexpr const char* kTooLong[2] = {"a client line longer than an upgrade command",
                                              "a server line longer than a reply"};
  for (; at < in.size(); ++at) {
    if (++watched_[side] > kMaxWatchedBytes) {
      give_up(kTooMuch[side]);
      return std::string_view::npos;
    }
    line_[side] += in[at];
    if (in[at] == '\n') {
      line.clear();
      line.swap(line_[side]);
      return at + 1;
    }
    if (line_[side].size() > kMaxLineBytes) {
      give_up(kTooLong[side]);
      return std::string_view::npos;
    }
  }
  return std::string_view::npos;
}

std::size_t StartTlsWatch::client(ByteView bytes) {
  if (state_ == State::kGaveUp) return bytes.size();
  if (state_ != State::kWatching) return 0;
  const std::string_view in = chars(bytes);
  std::string line;
  if (protocol_ == Protocol::kLdap) {
    for (std::size_t at = 0; (at = next_message(0, in, at, line)) != std::string_view::npos;) {
      on_client_message(line);
      if (state_ == State::kAsked) return at;  // what follows waits for the server's answer
      if (state_ == State::kGaveUp) break;
    }
    return in.size();
  }
  for (std::size_t at = 0; (at = next_line(0, in, at, line)) != std::string_view::npos;) {
    on_client_line(without_end(line));
    if (state_ == State::kWatching || state_ == State::kAsked) ++unanswered_;
    if (state_ == State::kAsked) return at;  // what follows waits for the server's answer
    if (state_ == State::kGaveUp) break;
  }
  return in.size();
}

std::size_t StartTlsWatch::server(ByteView bytes) {
  if (state_ == State::kGaveUp) return bytes.size();
  if (state_ == State::kAccepted || state_ == State::kViolation) {
    if (!bytes.empty() && state_ == State::kAccepted) {
      state_ = State::kViolation;
      why_ = "the server sent plaintext after accepting the upgrade";
    }
    return 0;
  }
  const std::string_view in = chars(bytes);
  std::string line;
  const bool ldap = protocol_ == Protocol::kLdap;
  for (std::size_t at = 0; (at = ldap ? next_message(1, in, at, line)
                                      : next_line(1, in, at, line)) != std::string_view::npos;) {
    if (ldap)
      on_server_message(line);
    else
      on_server_line(without_end(line));
    if (state_ == State::kAccepted) {
      if (at < in.size()) {
        state_ = State::kViolation;
        why_ = "the server sent plaintext after accepting the upgrade";
      }
      return at;
    }
    if (state_ == State::kGaveUp) break;
  }
  return in.size();
}

void StartTlsWatch::on_client_line(std::string_view line) {
  if (++commands_ > kMaxCommands) return give_up("more commands than come before an upgrade");
  std::string_view rest;
  std::string_view verb = first_word(line, &rest);
  if (protocol_ == Protocol::kImap) {
    // "<tag> <command>".
    const std::string_view tag = verb;
    verb = first_word(rest, &rest);
    if (iequals(verb, "STARTTLS") && rest.empty()) {
      tag_ = std::string(tag);
      state_ = State::kAsked;
      return;
    }
    if (one_of(verb, {"CAPABILITY", "NOOP", "ID"})) return;
    return give_up("the client went on in plaintext");
  }
  if (protocol_ == Protocol::kPop3) {
    if (iequals(verb, "STLS") && rest.empty()) {
      state_ = State::kAsked;
      return;
    }
    if (one_of(verb, {"CAPA", "NOOP"})) return;
    return give_up("the client went on in plaintext");
  }
  // A "220" greeting: SMTP or FTP, as the first telling command says.
  if (ambiguous_220_ || protocol_ == Protocol::kSmtp || protocol_ == Protocol::kFtp) {
    if (ambiguous_220_) {
      if (one_of(verb, {"EHLO", "HELO", "LHLO", "STARTTLS"})) {
        protocol_ = Protocol::kSmtp;
        ambiguous_220_ = false;
      } else if (one_of(verb, {"AUTH", "FEAT", "SYST"})) {
        protocol_ = Protocol::kFtp;
        ambiguous_220_ = false;
      } else if (!one_of(verb, {"NOOP", "HELP"})) {
        return give_up("the client went on in plaintext");
      }
    }
    if (protocol_ == Protocol::kSmtp) {
      if (iequals(verb, "STARTTLS") && rest.empty()) {
        state_ = State::kAsked;
        return;
      }
      if (one_of(verb, {"EHLO", "HELO", "LHLO", "NOOP", "RSET", "HELP"})) return;
      return give_up("the client went on in plaintext");
    }
    if (protocol_ == Protocol::kFtp) {
      if (iequals(verb, "AUTH") && one_of(trim_field(rest), {"TLS", "SSL", "TLS-C"})) {
        state_ = State::kAsked;
        return;
      }
      if (one_of(verb, {"FEAT", "SYST", "HELP", "NOOP", "OPTS", "CLNT"})) return;
      return give_up("the client went on in plaintext");
    }
    return;  // NOOP or HELP before either said which
  }
  return give_up("the client spoke before a greeting this watch knows");
}

void StartTlsWatch::on_server_line(std::string_view line) {
  bool last = false;
  if (!greeted_) {
    if (const int code = reply_code(line, last); code == 220) {
      ambiguous_220_ = true;
      greeted_ = last;  // a "220-" greeting goes on to its last line
    } else if (istarts_with(line, "* PREAUTH")) {
      // Already logged in: STARTTLS is no longer allowed (RFC 9051 6.2.1).
      return give_up("the server greeted as logged in");
    } else if (istarts_with(line, "* OK")) {
      protocol_ = Protocol::kImap;
      greeted_ = true;
    } else if (istarts_with(line, "+OK")) {
      protocol_ = Protocol::kPop3;
      greeted_ = true;
    } else {
      return give_up("a greeting of no protocol watched here");
    }
    return;
  }
  // Whether this line is the final reply to the oldest command relayed, and to the upgrade.
  bool final_reply = false, accepted = false;
  switch (protocol_) {
    case Protocol::kImap: {
      if (state_ != State::kAsked) return;
      std::string_view rest;
      const std::string_view tag = first_word(line, &rest);
      if (tag != tag_) return;  // untagged ("* ...") or another command's
      state_ = iequals(first_word(rest), "OK") ? State::kAccepted : State::kWatching;
      return;
    }
    case Protocol::kPop3:
      // A multi-line answer's lines (CAPA's) start neither way.
      final_reply = istarts_with(line, "+OK") || istarts_with(line, "-ERR");
      accepted = istarts_with(line, "+OK");
      break;
    case Protocol::kSmtp:
    case Protocol::kFtp:
    case Protocol::kLdap:
    case Protocol::kUnknown: {
      const int code = reply_code(line, last);
      // 1xx replies are preliminary (FTP); a "250-" line is continued.
      final_reply = code >= 200 && last;
      accepted = code == (protocol_ == Protocol::kFtp ? 234 : 220);
      break;
    }
  }
  if (!final_reply || unanswered_ == 0) return;
  if (--unanswered_ > 0 || state_ != State::kAsked) return;
  // A refusal (SMTP 454, POP3 -ERR, FTP 502...): the plaintext goes on.
  state_ = accepted ? State::kAccepted : State::kWatching;
}

}  // namespace kagami::wire
