#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

#include "kagami/base/byte_view.h"
#include "kagami/base/counter.h"
#include "kagami/base/time.h"
#include "kagami/flow/stream_sink.h"

namespace kagami::flow {

// Which copy of a byte wins when two segments carry different data for it.
enum class OverlapPolicy : std::uint8_t {
  kFirst,  // the first copy received wins, always (default: the evidence as it first appeared)
  kLast,   // the last copy received wins, for bytes not yet handed to the sink
  kLinux,  // as a Linux receiver (and Wireshark's Follow TCP Stream): a segment that arrives
           // in order is taken whole, and copies buffered out of order are trimmed against it;
           // among buffered copies the first wins
};

struct ReassemblyLimits {
  std::size_t per_stream_bytes = 4u << 20;  // out-of-order data held per direction
  std::size_t total_bytes = 512u << 20;     // out-of-order + retained data, per worker
  std::size_t retain_bytes = 64u << 10;     // delivered, not yet acknowledged bytes kept per
                                            // direction to check retransmissions against
  OverlapPolicy overlap = OverlapPolicy::kFirst;
};

struct ReassemblyCounters {
  Counter delivered_bytes;
  Counter gaps;
  Counter gap_bytes;
  Counter out_of_order_segments;
  Counter retransmitted_bytes;
  Counter overlaps;           // segments overlapping bytes already held or delivered
  Counter overlap_conflicts;  // ... whose bytes differ
  Counter limit_gaps;         // gaps forced by the per-stream or total memory bound
  Counter out_of_window;      // segments too far from the stream position to be real
  Counter retain_dropped;     // streams that lost their retention to the memory bound

  template <typename F>
  void visit(F&& f) const {
    f("tcp.delivered_bytes", delivered_bytes);
    f("tcp.gaps", gaps);
    f("tcp.gap_bytes", gap_bytes);
    f("tcp.out_of_order_segments", out_of_order_segments);
    f("tcp.retransmitted_bytes", retransmitted_bytes);
    f("tcp.overlaps", overlaps);
    f("tcp.overlap_conflicts", overlap_conflicts);
    f("tcp.limit_gaps", limit_gaps);
    f("tcp.out_of_window", out_of_window);
    f("tcp.retain_dropped", retain_dropped);
  }
};

// Memory shared by all streams of one worker. `used` belongs to the worker's thread; `peak`
// is a Counter so a stats printer on another thread may read it.
struct ReassemblyBudget {
  std::size_t used = 0;
  Counter peak;
  void note_peak() {
    if (used > peak.get()) peak.set(used);
  }
};

// What a stream needs from its surroundings while it works: passed per call, not stored, so a
// stream costs only its own state.
struct StreamContext {
  StreamSink* sink = nullptr;  // may be null: nobody listens, reassembly still accounts
  Direction dir = Direction::kClientToServer;
  const ReassemblyLimits* limits = nullptr;
  ReassemblyBudget* budget = nullptr;
  ReassemblyCounters* counters = nullptr;
};

// One direction of a TCP connection, reassembled into an ordered byte stream.
//
// Sequence numbers become 64-bit stream offsets relative to the first byte, so wrap-around is
// invisible to everything but offset_of(). In-order data goes to the sink straight from the
// packet (no copy). Out-of-order data waits in a map until the hole before it fills. A hole
// becomes a gap when the peer has acknowledged beyond it and the sender has moved past it
// (the bytes were sent and received but not captured), when the memory bounds require it, or
// at the end of the connection.
class TcpStream {
 public:
  struct Stats {
    std::uint64_t delivered = 0;
    std::uint32_t gaps = 0;
    std::uint64_t gap_bytes = 0;
    std::uint32_t overlap_conflicts = 0;
    bool limited = false;  // a memory bound forced a gap or dropped retention
  };

  // A packet sent in this direction. `payload` is what was captured; `wire_len` what the
  // headers say was sent (more when the snap length cut the packet).
  void on_segment(const StreamContext& cx, TimeNs ts, std::uint32_t seq, std::uint8_t tcp_flags,
                  ByteView payload, std::uint32_t wire_len);
  // An acknowledgement from the peer for this direction's bytes.
  void on_peer_ack(const StreamContext& cx, std::uint32_t ack);
  // The connection is over: deliver what is held, turning holes into gaps, then end.
  void finish(const StreamContext& cx, TimeNs ts);
  // Frees all memory (the flow is being recycled).
  void reset(const StreamContext& cx);

  const Stats& stats() const { return stats_; }
  bool base_known() const { return base_set_; }
  std::uint32_t base_seq() const { return base_seq_; }
  bool syn_seen() const { return syn_seen_; }
  std::uint32_t isn() const { return isn_; }
  bool delivered_any() const { return next_ > 0 || stats_.gaps > 0; }
  std::uint64_t next_offset() const { return next_; }
  std::size_t buffered_bytes() const { return ooo_bytes_; }

 private:
  struct Segment {
    TimeNs ts;
    std::vector<std::uint8_t> data;
  };

  std::int64_t offset_of(std::uint32_t seq) const {
    const std::uint32_t next_seq = base_seq_ + static_cast<std::uint32_t>(next_);
    return static_cast<std::int64_t>(next_) + static_cast<std::int32_t>(seq - next_seq);
  }
  void set_base(std::uint32_t seq);
  void deliver(const StreamContext& cx, TimeNs ts, ByteView data);
  void gap_to(const StreamContext& cx, TimeNs ts, std::uint64_t offset, bool forced);
  void drain(const StreamContext& cx);
  void close_confirmed_holes(const StreamContext& cx, TimeNs ts, std::uint64_t sender_at);
  void insert(const StreamContext& cx, TimeNs ts, std::uint64_t begin, ByteView data);
  void enforce_limits(const StreamContext& cx, TimeNs ts);
  void compare_buffered(const StreamContext& cx, std::uint64_t begin, ByteView data);
  void check_retained(const StreamContext& cx, std::uint64_t begin, ByteView data);
  void retain(const StreamContext& cx, ByteView data);
  void drop_retained(const StreamContext& cx);
  void trim_retained(const StreamContext& cx, std::uint64_t upto);
  std::size_t retained_size() const { return retained_.size() - retained_head_; }

  bool base_set_ = false;
  bool syn_seen_ = false;
  bool fin_seen_ = false;
  bool ended_ = false;
  bool retain_enabled_ = true;
  std::uint32_t isn_ = 0;
  std::uint32_t base_seq_ = 0;  // sequence number of offset 0
  std::uint64_t next_ = 0;      // offset of the next byte to deliver
  std::uint64_t fin_offset_ = 0;
  std::uint64_t peer_acked_ = 0;  // highest offset the peer acknowledged
  std::map<std::uint64_t, Segment> ooo_;
  std::size_t ooo_bytes_ = 0;
  std::vector<std::uint8_t> retained_;  // bytes [next_ - retained_size(), next_)
  std::size_t retained_head_ = 0;
  Stats stats_;
};

}  // namespace kagami::flow
