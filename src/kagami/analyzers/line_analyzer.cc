#include "kagami/analyzers/line_analyzer.h"

namespace kagami::analyzers {

wire::Progress LineAnalyzer::on_data(Direction dir, TimeNs ts, ByteView bytes) {
  now_ = ts;
  const std::string_view in = as_chars(bytes);
  wire::LineSplitter& lines = lines_[flow::index(dir)];
  std::size_t off = 0;
  bool took_nothing = false;
  while (off < in.size()) {
    const std::size_t took = raw(dir, bytes.subspan(off));
    if (took != kLines) {
      // Nothing taken twice running would never end: the protocol has gone back to lines
      // the first time, or wants more bytes.
      if (took == 0 && took_nothing) return {off, in.size() - off + 1};
      took_nothing = took == 0;
      off += took;
      if (s_.redetect || stop_reading()) return {off, 0};
      continue;
    }
    took_nothing = false;
    std::string_view text;
    std::size_t used = 0;
    const auto r = lines.next(in.substr(off), text, used);
    if (r == wire::LineSplitter::Result::kNeedMore) return {off, in.size() - off + 1};
    off += used;
    if (r == wire::LineSplitter::Result::kTooLong) {
      violation(dir == Direction::kClientToServer ? "command line too long"
                                                  : "reply line too long");
      line_too_long(dir);
      continue;
    }
    line(dir, text);
    if (s_.redetect || stop_reading()) return {off, 0};
  }
  return {off, 0};
}

}  // namespace kagami::analyzers
