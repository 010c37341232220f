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

}  // namespace

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
  for (std::size_t at = 0; (at = next_line(1, in, at, line)) != std::string_view::npos;) {
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
