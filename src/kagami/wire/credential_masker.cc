#include "kagami/wire/credential_masker.h"

#include <array>
#include <string_view>
#include <vector>

#include "kagami/base/ascii.h"

namespace kagami::wire {
namespace {

constexpr std::size_t kMaxHead = 256;      // of a line, kept for its classification
constexpr std::size_t kMaxUndecided = 64;  // a command's first words are shorter
constexpr std::uint8_t kFiller = '*';

// Authorization schemes (the IANA registry and common tokens): kept, so the export still
// shows how the client authenticated. A value that is no scheme is masked from its start.
constexpr std::array<std::string_view, 14> kSchemes = {
    "basic",  "bearer", "digest",      "ntlm",          "negotiate",        "hoba",
    "mutual", "vapid",  "scram-sha-1", "scram-sha-256", "aws4-hmac-sha256", "token",
    "oauth",  "apikey"};

bool scheme_prefix(std::string_view s) {
  for (const std::string_view scheme : kSchemes)
    if (s.size() <= scheme.size() && iequals(scheme.substr(0, s.size()), s)) return true;
  return false;
}

// The words of a line (separated by single blanks), at most `max`.
std::vector<std::string_view> words(std::string_view line, std::size_t max) {
  std::vector<std::string_view> w;
  std::size_t i = 0;
  while (i < line.size() && w.size() < max) {
    const std::size_t end = line.find(' ', i);
    w.push_back(line.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i));
    if (end == std::string_view::npos) break;
    i = end + 1;
  }
  return w;
}

bool tls_mechanism(std::string_view m) {
  return iequals(m, "tls") || iequals(m, "ssl") || iequals(m, "tls-c") || iequals(m, "tls-p");
}

// "GET /x HTTP/1.1": a request line begins an HTTP head on this side.
bool request_line(std::string_view line) {
  const std::size_t sp = line.find(' ');
  if (sp == std::string_view::npos || sp == 0 || sp > 20) return false;
  for (std::size_t i = 0; i < sp; ++i)
    if (!((line[i] >= 'A' && line[i] <= 'Z') || line[i] == '-' || line[i] == '_')) return false;
  const std::size_t last = line.rfind(' ');
  return last > sp && istarts_with(line.substr(last + 1), "HTTP/");
}

// A line from the server that keeps a SASL exchange going: SMTP's 334, POP3's and IMAP's "+".
bool continuation(std::string_view line) {
  return line.starts_with("334") || line == "+" || line.starts_with("+ ");
}

}  // namespace

void CredentialMasker::gap(int dir) {
  Direction& d = dirs_[dir & 1];
  d.mode = Mode::kSkipLine;
  d.head.clear();
}

std::size_t CredentialMasker::feed(int dir, std::span<std::uint8_t> bytes) {
  Direction& d = dirs_[dir & 1];
  std::size_t masked = 0;
  for (std::uint8_t& byte : bytes) {
    const std::uint8_t c = byte;
    if (c == '\n') {
      end_line(dir & 1);
      continue;
    }
    if (d.head.size() < kMaxHead) d.head.push_back(static_cast<char>(c));
    bool mask = false;
    switch (d.mode) {
      case Mode::kSkipLine:
      case Mode::kPlain:
        break;
      case Mode::kMask:
        mask = c != '\r';
        break;
      case Mode::kScheme:
        // Leading blanks, then the scheme word, kept while it can still be a known scheme.
        if (c == ' ' || c == '\t') {
          if (d.arg_started) d.mode = Mode::kSchemeGap;
        } else if (c != '\r') {
          d.arg_started = true;
          d.word.push_back(static_cast<char>(c));  // the scheme so far
          if (!scheme_prefix(d.word)) {
            d.mode = Mode::kMask;
            mask = true;
          }
        }
        break;
      case Mode::kSchemeGap:
        if (c != ' ' && c != '\t' && c != '\r') {
          d.mode = Mode::kMask;
          mask = true;
        }
        break;
      case Mode::kUserThenMask:
        user_argument(d, c, mask);
        break;
      case Mode::kUndecided:
        if (d.head.size() == 1 && d.auth_continues) {
          // A response in a SASL exchange: the whole line is a secret, but for LOGIN's first
          // (the user name).
          d.mode = d.auth_plain_lines > 0 ? Mode::kPlain : Mode::kMask;
          mask = d.mode == Mode::kMask && c != '\r';
          break;
        }
        if (c == ' ' || c == ':') {
          d.mode = classify(dir & 1, false);
        } else if (d.head.size() >= kMaxUndecided) {
          d.mode = Mode::kPlain;
        }
        break;
    }
    if (mask) {
      byte = kFiller;
      ++masked;
    }
  }
  return masked;
}

// IMAP LOGIN's user name and POP3 APOP's: an atom or a quoted string, kept; what follows it
// (the password, the digest) is masked.
void CredentialMasker::user_argument(Direction& d, std::uint8_t c, bool& mask) {
  if (c == '\r') return;
  if (!d.arg_started) {
    if (c == ' ') return;
    d.arg_started = true;
    d.arg_quoted = c == '"';
    if (c == '{') {
      // A literal: its bytes come on the next lines, after the server's "+". Everything from
      // here is treated as the exchange's secret.
      d.mode = Mode::kMask;
      mask = true;
    }
    return;
  }
  if (!d.arg_done) {
    if (d.arg_quoted) {
      if (d.arg_escape) {
        d.arg_escape = false;
      } else if (c == '\\') {
        d.arg_escape = true;
      } else if (c == '"') {
        d.arg_done = true;
      }
    } else if (c == ' ') {
      d.arg_done = true;
    }
    return;
  }
  if (c == ' ') return;
  d.mode = Mode::kMask;
  mask = true;
}

CredentialMasker::Mode CredentialMasker::classify(int dir, bool line_complete) {
  Direction& d = dirs_[dir];
  std::string_view h = d.head;
  if (d.http) {
    if (!d.in_http_head) return Mode::kPlain;
    const std::size_t colon = h.find(':');
    if (colon == std::string_view::npos) return line_complete ? Mode::kPlain : Mode::kUndecided;
    const std::string_view name = h.substr(0, colon);
    if (iequals(name, "authorization") || iequals(name, "proxy-authorization")) {
      d.arg_started = false;
      d.word.clear();
      return Mode::kScheme;
    }
    return Mode::kPlain;
  }
  if (d.in_data) return Mode::kPlain;
  if (!line_complete) h.remove_suffix(1);  // the blank or colon that ended a word
  const auto w = words(h, 4);
  const std::size_t n = w.size();
  if (n == 0) return Mode::kPlain;
  if (iequals(w[0], "pass")) return Mode::kMask;  // FTP, POP3
  if (iequals(w[0], "apop") || (n >= 2 && iequals(w[1], "login"))) {
    d.arg_started = d.arg_quoted = d.arg_escape = d.arg_done = false;
    return Mode::kUserThenMask;  // POP3 APOP user digest, IMAP tag LOGIN user password
  }
  if (iequals(w[0], "auth")) {
    if (n < 2) return Mode::kUndecided;
    // AUTH TLS is FTP's TLS upgrade; LOGIN's initial response is the user name.
    return tls_mechanism(w[1]) || iequals(w[1], "login") ? Mode::kPlain : Mode::kMask;
  }
  if (n >= 2 && iequals(w[1], "authenticate")) {
    if (n < 3) return Mode::kUndecided;
    return iequals(w[2], "login") ? Mode::kPlain : Mode::kMask;
  }
  return n < 2 ? Mode::kUndecided : Mode::kPlain;  // an IMAP tag waits for its command
}

void CredentialMasker::end_line(int dir) {
  Direction& d = dirs_[dir];
  Direction& o = dirs_[dir ^ 1];
  std::string_view line = d.head;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  const bool was_response = d.auth_continues && d.mode != Mode::kSkipLine && !line.empty();
  if (d.mode != Mode::kSkipLine) {
    if (!d.in_http_head && request_line(line)) {
      d.http = true;
      d.in_http_head = true;
    } else if (d.in_http_head && line.empty()) {
      d.in_http_head = false;
    } else if (!d.http && !d.auth_continues) {
      // A SASL exchange begins (SMTP and POP3 AUTH, IMAP AUTHENTICATE): this side's next
      // lines answer the server's challenges.
      const auto w = words(line, 4);
      std::size_t mech = 0;
      if (w.size() >= 2 && iequals(w[0], "auth")) mech = 1;
      if (w.size() >= 3 && iequals(w[1], "authenticate")) mech = 2;
      if (mech > 0 && !tls_mechanism(w[mech]) && !d.in_data) {
        d.auth_continues = true;
        // LOGIN without an initial response: the first answer is the user name.
        d.auth_plain_lines = iequals(w[mech], "login") && w.size() == mech + 1 ? 1 : 0;
      }
      // SMTP DATA: the message's lines are content, not commands, up to the lone dot.
      if (w.size() == 1 && iequals(w[0], "data")) {
        d.in_data = true;
        d.data_lines = 0;
      }
    } else if (was_response && d.auth_plain_lines > 0) {
      --d.auth_plain_lines;
    }
    if (d.in_data && !(line.size() == 4 && iequals(line, "data"))) {
      if (line == ".")
        d.in_data = false;
      else
        ++d.data_lines;
    }
    // The other side's exchange ends with any answer but a challenge; its DATA with a refusal.
    if (o.auth_continues && !continuation(line)) o.auth_continues = false;
    if (o.in_data && o.data_lines == 0 && !line.empty() && (line[0] == '4' || line[0] == '5'))
      o.in_data = false;
  }
  d.head.clear();
  d.mode = Mode::kUndecided;
}

}  // namespace kagami::wire
