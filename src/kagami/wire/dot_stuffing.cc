#include "kagami/wire/dot_stuffing.h"

#include <cstring>

namespace kagami::wire {

std::size_t DotUnstuffer::feed(ByteView in, content::ByteSink& out) {
  std::size_t i = 0;
  std::size_t run = 0;  // start of bytes to pass through unchanged
  auto flush = [&](std::size_t end) {
    if (end > run) out.write(in.subspan(run, end - run));
  };
  while (i < in.size() && state_ != State::kDone) {
    switch (state_) {
      case State::kLineStart:
        if (in[i] == '.') {
          flush(i);
          state_ = State::kDot;
          run = ++i;  // the leading dot is dropped (it is stuffing or the terminator)
        } else {
          state_ = in[i] == '\n' ? State::kLineStart : State::kMid;
          ++i;
        }
        break;
      case State::kMid: {
        const void* nl = std::memchr(in.data() + i, '\n', in.size() - i);
        if (nl == nullptr) {
          i = in.size();
        } else {
          i = static_cast<std::size_t>(static_cast<const std::uint8_t*>(nl) - in.data()) + 1;
          state_ = State::kLineStart;
        }
        break;
      }
      case State::kDot:
        if (in[i] == '\r') {
          state_ = State::kDotCr;
          run = ++i;
        } else if (in[i] == '\n') {
          state_ = State::kDone;
          run = ++i;
        } else {
          state_ = State::kMid;  // ".." or ".text": the rest of the line is body
        }
        break;
      case State::kDotCr:
        if (in[i] == '\n') {
          state_ = State::kDone;
          run = ++i;
        } else {
          // ".\rX": not the terminator after all; the CR is body.
          static constexpr std::uint8_t kCr = '\r';
          out.write(ByteView(&kCr, 1));
          state_ = State::kMid;
        }
        break;
      case State::kDone:
        break;
    }
  }
  if (state_ != State::kDone) flush(i);
  return i;
}

}  // namespace kagami::wire
