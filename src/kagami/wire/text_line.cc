#include "kagami/wire/text_line.h"

namespace kagami::wire {

LineSplitter::Result LineSplitter::next(std::string_view in, std::string_view& line,
                                        std::size_t& used) {
  const std::size_t nl = in.find('\n');
  if (skipping_) {
    if (nl == std::string_view::npos) {
      used = in.size();
      return Result::kTooLong;
    }
    skipping_ = false;
    used = nl + 1;
    return Result::kTooLong;
  }
  if (nl == std::string_view::npos || nl > max_) {
    if (in.size() <= max_) return Result::kNeedMore;
    skipping_ = true;
    used = in.size() < max_ ? in.size() : max_;
    return Result::kTooLong;
  }
  line = in.substr(0, nl);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  used = nl + 1;
  return Result::kLine;
}

std::string_view first_word(std::string_view line, std::string_view* rest) {
  const std::size_t sp = line.find(' ');
  std::string_view word = line.substr(0, sp);
  if (rest != nullptr) {
    std::string_view r = sp == std::string_view::npos ? std::string_view() : line.substr(sp);
    while (!r.empty() && r.front() == ' ') r.remove_prefix(1);
    *rest = r;
  }
  return word;
}

}  // namespace kagami::wire
