#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "kagami/analyzers/analyzer.h"
#include "kagami/analyzers/context.h"
#include "kagami/flow/stream_sink.h"

namespace kagami::analyzers {

// The analysis of one session: recognizes its protocol by content, then drives that
// protocol's analyzer, holding what it has not consumed yet (bounded). It is the session's
// StreamSink: the flow table hands it reassembled bytes, gaps, ends and datagrams.
class SessionAnalysis final : public flow::StreamSink {
 public:
  SessionAnalysis(SessionState state, AnalyzerContext& cx);
  ~SessionAnalysis() override;

  void on_data(Direction dir, TimeNs ts, ByteView bytes) override;
  void on_gap(Direction dir, TimeNs ts, std::uint64_t bytes) override;
  void on_end(Direction dir, TimeNs ts) override;
  void on_datagram(Direction dir, TimeNs ts, ByteView payload) override;

  // The session is over: analyzers emit what they hold.
  void close(TimeNs ts);

  SessionState& state() { return state_; }
  const SessionState& state() const { return state_; }

 private:
  struct Chunk {
    Direction dir;
    TimeNs ts;
    std::string bytes;  // empty with gap > 0 or ended
    std::uint64_t gap = 0;
    bool ended = false;
  };
  void detect(TimeNs ts);
  void start(const AnalyzerSpec& spec, TimeNs ts);
  void give_up();
  void deliver(Direction dir, TimeNs ts, ByteView bytes);
  void restart_detection(TimeNs ts);

  // Completes what its analyzer emits with the session's user (a proxy login, a mail AUTH, an
  // FTP USER: whatever the session learned) where the record names none of its own, and file
  // sightings with the host too.
  class StampingSink final : public RecordSink {
   public:
    StampingSink(RecordSink* to, const SessionState& s) : to_(to), s_(s) {}
    std::uint64_t new_id(IdSpace space) override { return to_->new_id(space); }
    void emit(records::AnyRecord&& r) override {
      std::visit(
          [this](auto& record) {
            if constexpr (requires { record.user = std::string(); })
              if (record.user.empty()) record.user = s_.user;
          },
          r);
      to_->emit(std::move(r));
    }
    void emit(records::FileRecord&& file, records::FileEvent&& event) override {
      records::complete_sighting(file, event, s_.user, s_.host);
      to_->emit(std::move(file), std::move(event));
    }

   private:
    RecordSink* to_;  // not null when in use
    const SessionState& s_;
  };

  SessionState state_;
  AnalyzerContext& cx_;
  StampingSink stamping_;
  AnalyzerContext own_cx_;  // cx_ with the stamping sink, for this session's analyzer
  std::unique_ptr<Analyzer> analyzer_;
  bool detecting_ = true;
  bool done_ = false;  // nothing more to do for this session
  // While detecting: everything in arrival order, to replay to the chosen analyzer.
  std::vector<Chunk> log_;
  std::string first_[2];  // the first bytes of each direction, for detect()
  bool ended_[2] = {false, false};
  std::size_t logged_bytes_ = 0;
  // While analyzing: bytes offered but not consumed yet, and how many are needed.
  std::string pending_[2];
  std::size_t need_[2] = {0, 0};
};

}  // namespace kagami::analyzers
