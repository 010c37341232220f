#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kagami/analyzers/context.h"
#include "kagami/flow/stream_sink.h"
#include "kagami/wire/progress.h"

namespace kagami::analyzers {

using flow::Direction;

// One protocol's analyzer for one session. The driver buffers what an analyzer does not
// consume and offers it again with more bytes, once at least `need` are there.
class Analyzer {
 public:
  virtual ~Analyzer() = default;
  virtual wire::Progress on_data(Direction dir, TimeNs ts, ByteView bytes) = 0;
  virtual void on_gap(Direction dir, TimeNs ts, std::uint64_t bytes) = 0;
  virtual void on_end(Direction dir, TimeNs ts) = 0;
  virtual void on_datagram(Direction dir, TimeNs ts, ByteView payload) {
    (void)dir;
    (void)ts;
    (void)payload;
  }
  // The session is over: emit whatever is still pending.
  virtual void on_close(TimeNs ts) = 0;
};

enum class Verdict { kNo, kMaybe, kYes };

// What detection sees: the first bytes of each direction (and the first datagram for UDP).
struct DetectInput {
  ByteView c2s, s2c;
  std::uint16_t client_port = 0, server_port = 0;
  std::uint8_t transport = 0;
  bool c2s_ended = false, s2c_ended = false;
  const SessionState* session = nullptr;
};

// A protocol: its name (the session's `app`), how to recognize it by content, and how to
// make its analyzer. Ports are only hints inside detect(). A protocol without detect() is
// never recognized by content: only a connection another session announced starts it
// (SessionState::expected names it).
struct AnalyzerSpec {
  const char* name;
  Verdict (*detect)(const DetectInput& in);
  std::unique_ptr<Analyzer> (*create)(SessionState& session, AnalyzerContext& cx);
};

// A protocol violation: counted, flagged on the session, the first of its kind logged.
inline void note_violation(AnalyzerContext& cx, SessionState& s, std::string_view protocol,
                           std::string_view what) {
  ++cx.counters->violations;
  s.analyzer_violation = true;
  (void)cx.log_once->first(std::string(protocol) + ": " + std::string(what));
}

// The built-in analyzers in detection order (see builtin.cc).
const std::vector<const AnalyzerSpec*>& builtin_analyzers();
const AnalyzerSpec* find_analyzer(std::string_view name);

}  // namespace kagami::analyzers
