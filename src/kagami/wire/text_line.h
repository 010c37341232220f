#pragma once

#include <cstddef>
#include <string_view>

#include "kagami/base/ascii.h"

namespace kagami::wire {

// The lines of the text protocols (SMTP, POP3, IMAP, FTP): CRLF or a bare LF ends one, and
// each is bounded so that a peer that never sends a line end cannot make us hold its bytes.
class LineSplitter {
 public:
  enum class Result {
    kLine,      // `line` is the next line without its end; `used` bytes consumed
    kNeedMore,  // no complete line yet; nothing consumed
    kTooLong,   // `used` bytes of an over-long line were skipped; it goes on being skipped
  };

  explicit LineSplitter(std::size_t max_line) : max_(max_line) {}

  Result next(std::string_view in, std::string_view& line, std::size_t& used);
  // After a gap the current line is lost: skip to the next line end.
  void resync() { skipping_ = true; }
  void reset() { skipping_ = false; }

 private:
  std::size_t max_;
  bool skipping_ = false;
};

// The first word of `line` and the rest after one run of spaces.
std::string_view first_word(std::string_view line, std::string_view* rest = nullptr);

}  // namespace kagami::wire
