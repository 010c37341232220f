#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace kagami::wire {

// Finds the secrets that cleartext protocols send in their command lines and overwrites them
// with '*' of the same length, so that evidence handed out (an exported pcap) still reads as
// the conversation it was, minus what would let its reader log in:
//   HTTP/1    Authorization and Proxy-Authorization values after the scheme, in heads only
//   FTP       PASS; AUTH is TLS there and is left alone
//   POP3      PASS, the APOP digest, AUTH's initial response and continuation lines
//   SMTP      AUTH's initial response and the lines that answer 334 challenges
//   IMAP      LOGIN's password (after the user name), AUTHENTICATE's responses
// One object reads one TCP connection, both directions, in the order the bytes were sent;
// each direction is a line scanner that decides a line's fate from its first words, so a
// secret split over segments is masked in every segment. User names stay: they say who.
class CredentialMasker {
 public:
  // Masks in place what `bytes` (the next bytes of direction `dir`, 0 or 1) holds of
  // secrets; returns how many bytes it overwrote.
  std::size_t feed(int dir, std::span<std::uint8_t> bytes);
  // Bytes of `dir` were lost or are out of order: its current line is unknown, so scanning
  // starts again at the next line end.
  void gap(int dir);

 private:
  enum class Mode : std::uint8_t {
    kUndecided,     // reading the line's first words
    kPlain,         // nothing to mask on this line
    kMask,          // every byte to the line end is a secret
    kScheme,        // an Authorization value: keep a known scheme word, then mask
    kSchemeGap,     // the blanks after the scheme
    kUserThenMask,  // IMAP LOGIN, POP3 APOP: keep the first argument, then mask
    kSkipLine,      // after a gap: nothing is known until the line ends
  };
  struct Direction {
    Mode mode = Mode::kUndecided;
    std::string head;           // the line's first bytes as sent (bounded)
    bool http = false;          // this side sent an HTTP request line
    bool in_http_head = false;  // between a request line and its blank line
    bool in_data = false;       // SMTP DATA: message lines, not commands
    std::uint32_t data_lines = 0;
    bool auth_continues = false;  // a SASL exchange: this side's next lines are responses
    int auth_plain_lines = 0;     // of those, how many are the user name (LOGIN)
    // The argument or scheme word being read (kUserThenMask, kScheme).
    bool arg_started = false, arg_quoted = false, arg_escape = false, arg_done = false;
    std::string word;
  };
  void end_line(int dir);
  Mode classify(int dir, bool line_complete);
  static void user_argument(Direction& d, std::uint8_t c, bool& mask);

  Direction dirs_[2];
};

}  // namespace kagami::wire
