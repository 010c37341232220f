#pragma once

#include <cstdint>

#include "kagami/base/byte_view.h"
#include "kagami/content/byte_sink.h"

namespace kagami::wire {

// The body of SMTP DATA (RFC 5321 4.5.2) and of POP3 multi-line responses (RFC 1939 3): lines
// with a leading '.' doubled, ended by a line holding one '.'. Streams: bytes in, the
// unstuffed body out, in any split. The terminating line is not part of the body; the line
// end before it is. A bare LF is accepted where CRLF is due (sloppy clients exist).
class DotUnstuffer {
 public:
  // Consumes from `in` up to and including the terminator; returns how many bytes it used.
  // done() is true once the terminator was seen.
  std::size_t feed(ByteView in, content::ByteSink& out);
  bool done() const { return state_ == State::kDone; }
  void reset() { state_ = State::kLineStart; }

 private:
  enum class State { kLineStart, kMid, kDot, kDotCr, kDone };
  State state_ = State::kLineStart;
};

}  // namespace kagami::wire
