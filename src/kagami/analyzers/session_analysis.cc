#include "kagami/analyzers/session_analysis.h"

#include <algorithm>

namespace kagami::analyzers {

SessionAnalysis::SessionAnalysis(SessionState state, AnalyzerContext& cx)
    : state_(std::move(state)), cx_(cx), stamping_(cx.records, state_), own_cx_(cx) {
  if (cx.records != nullptr) own_cx_.records = &stamping_;  // never used when there is none
}

SessionAnalysis::~SessionAnalysis() = default;

void SessionAnalysis::on_data(Direction dir, TimeNs ts, ByteView bytes) {
  if (done_ || bytes.empty()) return;
  if (detecting_) {
    const int d = flow::index(dir);
    const std::size_t room =
        cx_.limits->detect_bytes - std::min(first_[d].size(), cx_.limits->detect_bytes);
    first_[d].append(as_chars(bytes.first(std::min(room, bytes.size()))));
    log_.push_back(Chunk{dir, ts, std::string(as_chars(bytes)), 0, false});
    logged_bytes_ += bytes.size();
    detect(ts);
    return;
  }
  deliver(dir, ts, bytes);
}

void SessionAnalysis::deliver(Direction dir, TimeNs ts, ByteView bytes) {
  const int d = flow::index(dir);
  std::string& pending = pending_[d];
  if (pending.empty() && bytes.size() >= need_[d]) {
    // The usual case: the analyzer reads straight from the packet.
    const wire::Progress p = analyzer_->on_data(dir, ts, bytes);
    need_[d] = p.consumed < bytes.size() ? p.need : 0;
    if (p.consumed < bytes.size()) pending.assign(as_chars(bytes.subspan(p.consumed)));
  } else {
    pending.append(as_chars(bytes));
    if (pending.size() < need_[d]) {
      if (pending.size() > cx_.limits->max_buffer_bytes) {
        ++cx_.counters->buffer_limit;
        state_.analyzer_limit = true;
        give_up();
      }
      return;
    }
    // Offer again until the analyzer stops making progress.
    std::size_t off = 0;
    while (off < pending.size()) {
      const wire::Progress p =
          analyzer_->on_data(dir, ts, as_bytes(std::string_view(pending).substr(off)));
      off += p.consumed;
      if (state_.redetect) break;
      if (p.consumed == 0) {
        need_[d] = p.need;
        break;
      }
      need_[d] = 0;
    }
    pending.erase(0, off);
  }
  if (pending.size() > cx_.limits->max_buffer_bytes) {
    ++cx_.counters->buffer_limit;
    state_.analyzer_limit = true;
    give_up();
    return;
  }
  if (state_.redetect) restart_detection(ts);
}

void SessionAnalysis::restart_detection(TimeNs ts) {
  // The analyzer handed the rest of the stream over (CONNECT tunnel, STARTTLS): what it did
  // not consume starts a new detection.
  state_.redetect = false;
  analyzer_->on_close(ts);
  analyzer_.reset();
  detecting_ = true;
  log_.clear();
  logged_bytes_ = 0;
  for (int d = 0; d < 2; ++d) {
    first_[d].clear();
    need_[d] = 0;
  }
  for (int d = 0; d < 2; ++d) {
    if (pending_[d].empty()) continue;
    std::string bytes;
    bytes.swap(pending_[d]);
    on_data(static_cast<Direction>(d), ts, as_bytes(bytes));
  }
}

void SessionAnalysis::detect(TimeNs ts) {
  DetectInput in;
  in.c2s = as_bytes(first_[0]);
  in.s2c = as_bytes(first_[1]);
  in.client_port = state_.client_port;
  in.server_port = state_.server_port;
  in.transport = state_.transport;
  in.c2s_ended = ended_[0];
  in.s2c_ended = ended_[1];
  in.session = &state_;
  // After an upgrade to TLS the client's first byte tells: a TLS record (22, a handshake), or
  // the protocol again in plaintext, as a decrypting proxy mirrors it.
  if (state_.upgraded_from != nullptr && first_[0].empty() && !ended_[0] &&
      first_[1].size() < cx_.limits->detect_bytes)
    return;  // the server's words alone do not tell (its plaintext may come first)
  if (state_.upgraded_from != nullptr && !first_[0].empty()) {
    const char* resumed = state_.upgraded_from;
    state_.upgraded_from = nullptr;
    if (static_cast<unsigned char>(first_[0][0]) != 22) {
      // Plaintext where TLS was agreed: the proxy's mirror of what it decrypted.
      if (state_.proxied) state_.decrypted = true;
      if (const AnalyzerSpec* spec = find_analyzer(resumed)) {
        start(*spec, ts);
        return;
      }
    }
    state_.tls_over = resumed;  // TLS: detection as usual, and back if it ends in plaintext
  }
  // A connection another session announced goes to the analyzer the announcement names.
  if (state_.expected) {
    if (const AnalyzerSpec* spec = find_analyzer(state_.expected->analyzer)) {
      start(*spec, ts);
      return;
    }
  }
  bool maybe = false;
  for (const AnalyzerSpec* spec : builtin_analyzers()) {
    if (spec->detect == nullptr) continue;
    const Verdict v = spec->detect(in);
    if (v == Verdict::kYes) {
      start(*spec, ts);
      return;
    }
    if (v == Verdict::kMaybe) maybe = true;
  }
  const bool full = first_[0].size() >= cx_.limits->detect_bytes ||
                    first_[1].size() >= cx_.limits->detect_bytes ||
                    logged_bytes_ > cx_.limits->max_buffer_bytes;
  if (!maybe || full || (ended_[0] && ended_[1])) give_up();
}

void SessionAnalysis::start(const AnalyzerSpec& spec, TimeNs ts) {
  detecting_ = false;
  ++cx_.counters->sessions_detected;
  // A protocol resumed after its upgrade to TLS is named once.
  if (std::find(state_.apps.begin(), state_.apps.end(), spec.name) == state_.apps.end())
    state_.apps.emplace_back(spec.name);
  analyzer_ = spec.create(state_, own_cx_);
  std::vector<Chunk> log;
  log.swap(log_);
  logged_bytes_ = 0;
  for (Chunk& c : log) {
    if (done_) return;
    if (c.gap > 0) {
      on_gap(c.dir, c.ts, c.gap);
    } else if (c.ended) {
      on_end(c.dir, c.ts);
    } else if (state_.transport == 17) {
      analyzer_->on_datagram(c.dir, c.ts, as_bytes(c.bytes));
    } else if (detecting_) {
      on_data(c.dir, c.ts, as_bytes(c.bytes));  // a redetect happened during the replay
    } else {
      deliver(c.dir, c.ts, as_bytes(c.bytes));
    }
  }
  (void)ts;
}

void SessionAnalysis::give_up() {
  if (analyzer_ == nullptr && detecting_ && (!first_[0].empty() || !first_[1].empty()))
    ++cx_.counters->sessions_unknown;
  detecting_ = false;
  done_ = true;
  log_.clear();
  logged_bytes_ = 0;
  pending_[0].clear();
  pending_[1].clear();
  // An analyzer that gave up still reports what it has (close() does).
}

void SessionAnalysis::on_gap(Direction dir, TimeNs ts, std::uint64_t bytes) {
  if (done_) return;
  const int d = flow::index(dir);
  if (detecting_) {
    log_.push_back(Chunk{dir, ts, {}, bytes, false});
    return;
  }
  pending_[d].clear();
  need_[d] = 0;
  analyzer_->on_gap(dir, ts, bytes);
  if (state_.redetect) restart_detection(ts);
}

void SessionAnalysis::on_end(Direction dir, TimeNs ts) {
  const int d = flow::index(dir);
  ended_[d] = true;
  if (done_) return;
  if (detecting_) {
    log_.push_back(Chunk{dir, ts, {}, 0, true});
    detect(ts);
    return;
  }
  analyzer_->on_end(dir, ts);
}

void SessionAnalysis::on_datagram(Direction dir, TimeNs ts, ByteView payload) {
  if (done_) return;
  if (detecting_) {
    const int d = flow::index(dir);
    if (first_[d].empty())
      first_[d].assign(as_chars(payload.first(std::min(payload.size(), cx_.limits->detect_bytes))));
    log_.push_back(Chunk{dir, ts, std::string(as_chars(payload)), 0, false});
    logged_bytes_ += payload.size();
    detect(ts);
    return;
  }
  analyzer_->on_datagram(dir, ts, payload);
}

void SessionAnalysis::close(TimeNs ts) {
  if (analyzer_) {
    analyzer_->on_close(ts);
    analyzer_.reset();
  }
  done_ = true;
}

}  // namespace kagami::analyzers
