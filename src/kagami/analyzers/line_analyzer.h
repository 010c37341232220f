#pragma once
// The reading loop of the line-oriented protocols (SMTP, POP3, IMAP, FTP): commands from the
// client and replies from the server a line at a time, each line bounded (max_line_bytes: a
// longer one is skipped, a counted violation), and between lines whatever the protocol reads
// as plain bytes (a DATA or BDAT body, an IMAP literal, a POP3 message). A protocol gets its
// lines in line(), takes bytes in raw() while it reads them, and stops the reading when it
// sets SessionState::redetect (STARTTLS) or says so in stop_reading().

#include <string_view>

#include "kagami/analyzers/analyzer.h"
#include "kagami/wire/text_line.h"

namespace kagami::analyzers {

class LineAnalyzer : public Analyzer {
 public:
  wire::Progress on_data(Direction dir, TimeNs ts, ByteView bytes) final;

 protected:
  LineAnalyzer(SessionState& s, AnalyzerContext& cx, std::string_view protocol)
      : s_(s),
        cx_(cx),
        protocol_(protocol),
        lines_{wire::LineSplitter(cx.limits->max_line_bytes),
               wire::LineSplitter(cx.limits->max_line_bytes)} {}

  // One whole line of `dir`, without its line end.
  virtual void line(Direction dir, std::string_view text) = 0;
  // The bytes of `dir` the protocol reads as bytes just now: how many of `bytes` it took
  // (0 only when it has just gone back to lines), or kLines when it reads lines.
  static constexpr std::size_t kLines = static_cast<std::size_t>(-1);
  virtual std::size_t raw(Direction dir, ByteView bytes) {
    (void)dir;
    (void)bytes;
    return kLines;
  }
  // A line of `dir` longer than the bound was skipped (the violation is noted already).
  virtual void line_too_long(Direction dir) { (void)dir; }
  // Whether what follows in the stream is not this protocol's (besides s_.redetect).
  virtual bool stop_reading() const { return false; }

  // After a gap in `dir`: the line being read is lost; the next starts after a line end.
  void resync(Direction dir) { lines_[flow::index(dir)].resync(); }
  void violation(std::string_view what) { note_violation(cx_, s_, protocol_, what); }

  SessionState& s_;
  AnalyzerContext& cx_;
  TimeNs now_ = 0;  // the time of the bytes being read

 private:
  std::string_view protocol_;
  wire::LineSplitter lines_[2];
};

}  // namespace kagami::analyzers
