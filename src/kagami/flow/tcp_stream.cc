#include "kagami/flow/tcp_stream.h"

#include <algorithm>
#include <cstring>

#include "kagami/packet/packet.h"

namespace kagami::flow {
namespace {

// A segment starting this far beyond the stream position is not a plausible part of it
// (forged, or a sequence number from another connection); TCP windows are at most 1 GiB.
constexpr std::uint64_t kMaxAhead = 1ull << 30;
// Memory a buffered segment costs beyond its payload (map node, vector header, allocator).
constexpr std::size_t kSegmentOverhead = 96;

}  // namespace

void TcpStream::set_base(std::uint32_t seq) {
  base_seq_ = seq;
  next_ = 0;
  base_set_ = true;
  fin_seen_ = false;
  fin_offset_ = 0;
  peer_acked_ = 0;
}

void TcpStream::on_segment(const StreamContext& cx, TimeNs ts, std::uint32_t seq,
                           std::uint8_t tcp_flags, ByteView payload, std::uint32_t wire_len) {
  if (ended_) return;
  std::uint32_t data_seq = seq;
  if (tcp_flags & packet::kTcpSyn) {
    data_seq = seq + 1;  // the SYN occupies one sequence number
    if (!base_set_ || (!delivered_any() && ooo_.empty())) set_base(seq + 1);
    syn_seen_ = true;
    isn_ = seq;
  }
  // A reset's payload is diagnostic text (RFC 1122 4.2.2.12), not stream data, and its
  // sequence number may be anything: it must not anchor the stream either.
  if (tcp_flags & packet::kTcpRst) return;
  if (!base_set_) set_base(data_seq);

  const std::int64_t begin = offset_of(data_seq);
  const std::int64_t end = begin + wire_len;
  if ((tcp_flags & packet::kTcpFin) && end >= 0) {
    fin_seen_ = true;
    fin_offset_ = static_cast<std::uint64_t>(end);
  }
  if (wire_len == 0) {
    if (begin > 0) close_confirmed_holes(cx, ts, static_cast<std::uint64_t>(begin));
    return;
  }

  const std::int64_t next = static_cast<std::int64_t>(next_);
  if (end <= next) {
    cx.counters->retransmitted_bytes += wire_len;
    if (begin >= 0) check_retained(cx, static_cast<std::uint64_t>(begin), payload);
    return;
  }
  // Ahead of what the receiver acknowledged by more than any TCP window: not this stream.
  const std::int64_t window_base = static_cast<std::int64_t>(std::max(next_, peer_acked_));
  if (begin > window_base + static_cast<std::int64_t>(kMaxAhead)) {
    ++cx.counters->out_of_window;
    return;
  }

  // Drop what precedes the stream start or was delivered already, checking it against what
  // was delivered.
  ByteView data = payload;
  std::uint64_t b = static_cast<std::uint64_t>(begin);
  if (begin < next) {
    const std::size_t head = static_cast<std::size_t>(
        std::min<std::uint64_t>(static_cast<std::uint64_t>(next - begin), data.size()));
    if (begin >= 0) check_retained(cx, static_cast<std::uint64_t>(begin), data.first(head));
    cx.counters->retransmitted_bytes += head;
    data = data.subspan(head);
    b = next_;
  }
  const std::uint64_t wire_end = static_cast<std::uint64_t>(end);

  close_confirmed_holes(cx, ts, b);

  const std::uint64_t cap_end = b + data.size();
  const bool in_order_wins = cx.limits->overlap == OverlapPolicy::kLinux;
  if (b == next_ && (in_order_wins || ooo_.empty() || ooo_.begin()->first >= cap_end)) {
    // Buffered copies of these bytes that arrived earlier are compared, then trimmed by drain.
    if (in_order_wins && !ooo_.empty() && ooo_.begin()->first < cap_end)
      compare_buffered(cx, b, data);
    if (!data.empty()) deliver(cx, ts, data);
    if (wire_end > next_) {
      // The snap length cut this packet: its uncaptured bytes are lost for good.
      std::uint64_t to = wire_end;
      if (!ooo_.empty()) to = std::min(to, ooo_.begin()->first);
      gap_to(cx, ts, to, false);
    }
    drain(cx);
    return;
  }
  if (!data.empty()) {
    ++cx.counters->out_of_order_segments;
    insert(cx, ts, b, data);
  }
  drain(cx);
  enforce_limits(cx, ts);
}

void TcpStream::on_peer_ack(const StreamContext& cx, std::uint32_t ack) {
  if (ended_) return;
  if (!base_set_) {
    // Mid-stream pickup: the peer tells us where this side's next byte will be.
    set_base(ack);
    return;
  }
  std::int64_t off = offset_of(ack);
  if (off < 0) return;
  if (fin_seen_ && static_cast<std::uint64_t>(off) == fin_offset_ + 1) --off;  // ACK of the FIN
  // Any forward acknowledgement is taken (offset_of already limits it to 2^31 ahead): after
  // heavy capture loss the receiver's ACKs are the best evidence of where the stream is.
  if (static_cast<std::uint64_t>(off) > peer_acked_) peer_acked_ = static_cast<std::uint64_t>(off);
  trim_retained(cx, std::min<std::uint64_t>(static_cast<std::uint64_t>(off), next_));
}

void TcpStream::close_confirmed_holes(const StreamContext& cx, TimeNs ts, std::uint64_t sender_at) {
  // The peer acknowledged bytes we never saw, and the sender has since moved past them:
  // they crossed the wire while the capture missed them.
  if (peer_acked_ <= next_ || sender_at < peer_acked_) return;
  while (next_ < peer_acked_) {
    std::uint64_t to = peer_acked_;
    if (!ooo_.empty() && ooo_.begin()->first < to) to = ooo_.begin()->first;
    gap_to(cx, ts, to, false);
    drain(cx);
  }
}

void TcpStream::deliver(const StreamContext& cx, TimeNs ts, ByteView data) {
  if (cx.sink != nullptr) cx.sink->on_data(cx.dir, ts, data);
  next_ += data.size();
  stats_.delivered += data.size();
  cx.counters->delivered_bytes += data.size();
  retain(cx, data);
}

void TcpStream::gap_to(const StreamContext& cx, TimeNs ts, std::uint64_t offset, bool forced) {
  if (offset <= next_) return;
  const std::uint64_t n = offset - next_;
  if (cx.sink != nullptr) cx.sink->on_gap(cx.dir, ts, n);
  ++stats_.gaps;
  stats_.gap_bytes += n;
  ++cx.counters->gaps;
  cx.counters->gap_bytes += n;
  if (forced) {
    ++cx.counters->limit_gaps;
    stats_.limited = true;
  }
  next_ = offset;
  // Retained bytes must end at next_; after a jump they no longer do.
  drop_retained(cx);
}

void TcpStream::drain(const StreamContext& cx) {
  while (!ooo_.empty()) {
    auto it = ooo_.begin();
    if (it->first > next_) break;
    const std::uint64_t start = it->first;
    Segment seg = std::move(it->second);
    ooo_.erase(it);
    ooo_bytes_ -= seg.data.size();
    cx.budget->used -= seg.data.size() + kSegmentOverhead;
    if (start + seg.data.size() <= next_) continue;
    const std::size_t skip = static_cast<std::size_t>(next_ - start);
    deliver(cx, seg.ts, ByteView(seg.data).subspan(skip));
  }
}

void TcpStream::insert(const StreamContext& cx, TimeNs ts, std::uint64_t begin, ByteView data) {
  const std::uint64_t end = begin + data.size();
  auto add = [&](std::uint64_t start, ByteView bytes) {
    const std::size_t cost = bytes.size() + kSegmentOverhead;
    if (cx.budget->used + cost > cx.limits->total_bytes) {
      drop_retained(cx);
      if (cx.budget->used + cost > cx.limits->total_bytes) {
        // No memory to hold it: it will surface as a gap, flagged.
        stats_.limited = true;
        ++cx.counters->limit_gaps;
        return;
      }
    }
    ooo_.emplace(start, Segment{ts, std::vector<std::uint8_t>(bytes.begin(), bytes.end())});
    ooo_bytes_ += bytes.size();
    cx.budget->used += cost;
    cx.budget->note_peak();
  };

  std::uint64_t pos = begin;
  bool overlapped = false;
  auto it = ooo_.lower_bound(begin);
  if (it != ooo_.begin()) {
    auto prev = std::prev(it);
    if (prev->first + prev->second.data.size() > begin) it = prev;
  }
  while (it != ooo_.end() && it->first < end) {
    const std::uint64_t s = it->first;
    const std::uint64_t e = s + it->second.data.size();
    if (s > pos) add(pos, data.subspan(pos - begin, s - pos));
    const std::uint64_t ob = std::max(s, pos), oe = std::min(e, end);
    if (oe > ob) {
      overlapped = true;
      std::uint8_t* held = it->second.data.data() + (ob - s);
      const std::uint8_t* fresh = data.data() + (ob - begin);
      if (std::memcmp(held, fresh, oe - ob) != 0) {
        ++stats_.overlap_conflicts;
        ++cx.counters->overlap_conflicts;
        if (cx.limits->overlap == OverlapPolicy::kLast) std::memcpy(held, fresh, oe - ob);
      }
      pos = oe;
    }
    ++it;
  }
  if (pos < end) add(pos, data.subspan(pos - begin));
  if (overlapped) ++cx.counters->overlaps;
}

void TcpStream::compare_buffered(const StreamContext& cx, std::uint64_t begin, ByteView data) {
  const std::uint64_t end = begin + data.size();
  bool overlapped = false;
  for (auto it = ooo_.begin(); it != ooo_.end() && it->first < end; ++it) {
    const std::uint64_t s = it->first, e = s + it->second.data.size();
    const std::uint64_t ob = std::max(s, begin), oe = std::min(e, end);
    if (oe <= ob) continue;
    overlapped = true;
    if (std::memcmp(it->second.data.data() + (ob - s), data.data() + (ob - begin), oe - ob) != 0) {
      ++stats_.overlap_conflicts;
      ++cx.counters->overlap_conflicts;
    }
  }
  if (overlapped) ++cx.counters->overlaps;
}

void TcpStream::enforce_limits(const StreamContext& cx, TimeNs ts) {
  while (ooo_bytes_ > cx.limits->per_stream_bytes && !ooo_.empty()) {
    gap_to(cx, ts, ooo_.begin()->first, true);
    drain(cx);
  }
}

void TcpStream::check_retained(const StreamContext& cx, std::uint64_t begin, ByteView data) {
  const std::uint64_t rstart = next_ - retained_size();
  const std::uint64_t ob = std::max(begin, rstart);
  const std::uint64_t oe = std::min<std::uint64_t>(begin + data.size(), next_);
  if (oe <= ob) return;
  ++cx.counters->overlaps;
  const std::uint8_t* held = retained_.data() + retained_head_ + (ob - rstart);
  if (std::memcmp(held, data.data() + (ob - begin), oe - ob) != 0) {
    ++stats_.overlap_conflicts;
    ++cx.counters->overlap_conflicts;
  }
}

void TcpStream::retain(const StreamContext& cx, ByteView data) {
  const std::size_t cap = cx.limits->retain_bytes;
  if (!retain_enabled_ || cap == 0 || data.empty()) return;
  const std::size_t keep = std::min(data.size(), cap);
  const std::size_t have = retained_size();
  if (have + keep > cap) trim_retained(cx, next_ - (cap - keep));
  if (cx.budget->used + keep > cx.limits->total_bytes) {
    drop_retained(cx);
    retain_enabled_ = false;
    stats_.limited = true;
    ++cx.counters->retain_dropped;
    return;
  }
  if (retained_head_ > 0 && retained_head_ >= retained_.size() / 2) {
    retained_.erase(retained_.begin(),
                    retained_.begin() + static_cast<std::ptrdiff_t>(retained_head_));
    retained_head_ = 0;
  }
  const ByteView tail = data.last(keep);
  retained_.insert(retained_.end(), tail.begin(), tail.end());
  cx.budget->used += keep;
  cx.budget->note_peak();
}

void TcpStream::trim_retained(const StreamContext& cx, std::uint64_t upto) {
  const std::uint64_t rstart = next_ - retained_size();
  if (upto <= rstart) return;
  const std::size_t n =
      static_cast<std::size_t>(std::min<std::uint64_t>(upto - rstart, retained_size()));
  retained_head_ += n;
  cx.budget->used -= n;
  if (retained_head_ == retained_.size()) {
    retained_.clear();
    retained_head_ = 0;
  }
}

void TcpStream::drop_retained(const StreamContext& cx) {
  cx.budget->used -= retained_size();
  retained_.clear();
  retained_head_ = 0;
}

void TcpStream::finish(const StreamContext& cx, TimeNs ts) {
  if (ended_) return;
  while (!ooo_.empty()) {
    gap_to(cx, ooo_.begin()->second.ts, ooo_.begin()->first, false);
    drain(cx);
  }
  // Bytes the peer acknowledged, or that came before a FIN, but that we never saw.
  std::uint64_t lost_end = peer_acked_;
  if (fin_seen_) lost_end = std::max(lost_end, fin_offset_);
  if (base_set_ && lost_end > next_) gap_to(cx, ts, lost_end, false);
  drop_retained(cx);
  std::vector<std::uint8_t>().swap(retained_);
  ended_ = true;
  if (cx.sink != nullptr) cx.sink->on_end(cx.dir, ts);
}

void TcpStream::reset(const StreamContext& cx) {
  for (auto& [start, seg] : ooo_) cx.budget->used -= seg.data.size() + kSegmentOverhead;
  drop_retained(cx);
  *this = TcpStream{};
}

}  // namespace kagami::flow
