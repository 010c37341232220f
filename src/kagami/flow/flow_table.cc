#include "kagami/flow/flow_table.h"

#include <algorithm>
#include <iterator>

namespace kagami::flow {
namespace {

using packet::kTcpAck;
using packet::kTcpFin;
using packet::kTcpRst;
using packet::kTcpSyn;

// Registered ports above 1024 that are servers far more often than clients.
constexpr std::uint16_t kServerPorts[] = {
    1080, 1194, 1433, 1521, 1723, 1883, 2049, 2181, 2375, 2376, 2525,  3128, 3268, 3306,
    3389, 4443, 5060, 5061, 5222, 5432, 5671, 5672, 5900, 5984, 6379,  6443, 6667, 8000,
    8008, 8080, 8081, 8088, 8443, 8888, 9000, 9092, 9200, 9418, 11211, 27017};

// Lower rank means "more likely the server".
int port_rank(std::uint16_t port) {
  if (port == 0) return 4;
  if (port < 1024) return 0;
  if (std::binary_search(std::begin(kServerPorts), std::end(kServerPorts), port)) return 1;
  if (port < 32768) return 2;
  return 3;  // the usual ephemeral range (Linux 32768-60999, IANA 49152-65535)
}

// Mid-stream guess: is the sender of this packet the client?
bool sender_is_client_by_ports(std::uint16_t sport, std::uint16_t dport) {
  const int rs = port_rank(sport), rd = port_rank(dport);
  if (rs != rd) return rs > rd;
  return true;  // no better evidence: whoever spoke first
}

std::size_t next_pow2(std::size_t n) {
  std::size_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

}  // namespace

const char* end_reason_name(EndReason reason) {
  switch (reason) {
    case EndReason::kFin:
      return "fin";
    case EndReason::kRst:
      return "rst";
    case EndReason::kIdleTimeout:
      return "idle_timeout";
    case EndReason::kAbsoluteTimeout:
      return "absolute_timeout";
    case EndReason::kEvicted:
      return "evicted";
    case EndReason::kPortReuse:
      return "port_reuse";
    case EndReason::kEndOfInput:
      return "end_of_input";
  }
  return "unknown";
}

TcpStream::Stats Flow::session_stream_stats(Direction d) const {
  TcpStream::Stats s;
  if (!tcp) return s;
  const TcpStream::Stats& now = tcp->stream[index(d)].stats();
  const TcpStream::Stats& base = tcp->at_session_start[index(d)];
  s.delivered = now.delivered - base.delivered;
  s.gaps = now.gaps - base.gaps;
  s.gap_bytes = now.gap_bytes - base.gap_bytes;
  s.overlap_conflicts = now.overlap_conflicts - base.overlap_conflicts;
  s.limited = now.limited;
  return s;
}

FlowTable::FlowTable(FlowConfig limits, ReassemblyLimits reassembly, FlowObserver& observer)
    : limits_(limits), rlimits_(reassembly), observer_(observer) {
  if (limits_.max_flows == 0) limits_.max_flows = 1;
  const std::size_t initial = std::min<std::size_t>(next_pow2(limits_.max_flows * 2), 1u << 14);
  slots_.resize(initial);
  mask_ = initial - 1;
}

FlowTable::~FlowTable() {
  // Flows still open belong to nobody now; free them without telling the observer.
  for (auto& list : lists_) {
    for (Flow* f = list.head; f != nullptr;) {
      Flow* next = f->lru_next;
      delete f;
      f = next;
    }
  }
}

// ---- open-addressing hash table (linear probing, backward-shift deletion) ----

Flow* FlowTable::find(const FlowKey& key, std::uint64_t hash) const {
  for (std::size_t i = hash & mask_;; i = (i + 1) & mask_) {
    const Slot& s = slots_[i];
    if (s.flow == nullptr) return nullptr;
    if (s.hash == hash && s.flow->key == key) return s.flow;
  }
}

void FlowTable::table_insert(Flow* f) {
  if ((size_ + 1) * 2 > slots_.size()) grow();
  std::size_t i = f->hash & mask_;
  while (slots_[i].flow != nullptr) i = (i + 1) & mask_;
  slots_[i] = Slot{f, f->hash};
  ++size_;
}

void FlowTable::table_erase(Flow* f) {
  std::size_t i = f->hash & mask_;
  while (slots_[i].flow != f) i = (i + 1) & mask_;
  for (std::size_t j = i;;) {
    j = (j + 1) & mask_;
    if (slots_[j].flow == nullptr) break;
    const std::size_t home = slots_[j].hash & mask_;
    // Leave the entry if its home lies cyclically in (i, j].
    const bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
    if (stays) continue;
    slots_[i] = slots_[j];
    i = j;
  }
  slots_[i] = Slot{};
  --size_;
}

void FlowTable::grow() {
  std::vector<Slot> old;
  old.swap(slots_);
  slots_.resize(old.size() * 2);
  mask_ = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.flow == nullptr) continue;
    std::size_t i = s.hash & mask_;
    while (slots_[i].flow != nullptr) i = (i + 1) & mask_;
    slots_[i] = s;
  }
}

// ---- timeout lists (least recently active first) ----

void FlowTable::list_push(Flow* f, std::uint8_t cls) {
  List& l = lists_[cls];
  f->timeout_class = cls;
  f->lru_prev = l.tail;
  f->lru_next = nullptr;
  if (l.tail != nullptr) {
    l.tail->lru_next = f;
  } else {
    l.head = f;
  }
  l.tail = f;
}

void FlowTable::list_remove(Flow* f) {
  List& l = lists_[f->timeout_class];
  if (f->lru_prev != nullptr) {
    f->lru_prev->lru_next = f->lru_next;
  } else {
    l.head = f->lru_next;
  }
  if (f->lru_next != nullptr) {
    f->lru_next->lru_prev = f->lru_prev;
  } else {
    l.tail = f->lru_prev;
  }
  f->lru_prev = f->lru_next = nullptr;
}

TimeNs FlowTable::timeout_of(std::uint8_t cls) const {
  switch (cls) {
    case kTcpOpen:
      return limits_.tcp_idle_timeout_ns;
    case kTcpClosing:
      return limits_.closed_linger_ns;
    case kUdp:
      return limits_.udp_idle_timeout_ns;
    default:
      return limits_.other_idle_timeout_ns;
  }
}

StreamContext FlowTable::context(Flow& f, Direction d) {
  return StreamContext{f.sink, d, &rlimits_, &budget_, &rcounters_};
}

// ---- flow life ----

Flow* FlowTable::create(const FlowKey& key, std::uint64_t hash, const packet::Packet& p,
                        bool src_is_a) {
  if (size_ >= limits_.max_flows) evict_one(p.ts);
  std::unique_ptr<Flow> owned;
  if (!free_.empty()) {
    owned = std::move(free_.back());
    free_.pop_back();
  } else {
    owned = std::make_unique<Flow>();
  }
  Flow* f = owned.release();
  f->key = key;
  f->hash = hash;
  f->ts_first = f->ts_last = f->session_start = p.ts;

  bool sender_is_client = true;
  const bool tcp = key.proto == packet::kProtoTcp;
  if (tcp) {
    const std::uint8_t fl = p.tcp_flags & (kTcpSyn | kTcpAck | kTcpRst);
    if (fl == kTcpSyn) {
      sender_is_client = true;
    } else if (fl == (kTcpSyn | kTcpAck)) {
      sender_is_client = false;
    } else {
      sender_is_client = sender_is_client_by_ports(p.src_port, p.dst_port);
      f->mid_stream = true;
    }
    f->tcp = std::make_unique<TcpState>();
  } else if (key.proto == packet::kProtoUdp) {
    sender_is_client = sender_is_client_by_ports(p.src_port, p.dst_port);
  } else if (key.proto == packet::kProtoIcmp || key.proto == packet::kProtoIcmpv6) {
    // Echo and other replies come from the server side.
    const std::uint8_t t = p.icmp_type;
    sender_is_client = !(t == 0 || t == 14 || t == 129);
  }
  f->client_is_a = sender_is_client ? src_is_a : !src_is_a;

  table_insert(f);
  list_push(f, tcp ? kTcpOpen : key.proto == packet::kProtoUdp ? kUdp : kOther);
  ++counters_.flows_created;
  counters_.active_flows.set(size_);
  observer_.on_session_start(*f);
  return f;
}

bool FlowTable::starts_new_connection(const Flow& f, bool src_is_a, std::uint32_t seq) const {
  if (!f.tcp) return false;
  const Direction d = f.direction_of(src_is_a);
  const TcpStream& sender = f.tcp->stream[index(d)];
  if (sender.syn_seen() && sender.isn() == seq) return false;  // a retransmitted SYN
  // This connection's own SYN, captured late: the peer already acknowledged it.
  if (!sender.syn_seen() && sender.base_known() && sender.base_seq() == seq + 1) return false;
  if (sender.syn_seen() || f.closing) return true;
  // Without a SYN so far, a SYN on a flow that already carried data is a new connection;
  // on a flow that only saw ACKs it is this connection's late (reordered) handshake.
  return f.bytes[0] + f.bytes[1] > 0;
}

void FlowTable::adopt_handshake(Flow& f, bool src_is_a) {
  // The pure SYN names the client; if the port guess was wrong, swap the roles.
  if (f.client_is_a != src_is_a) {
    f.client_is_a = src_is_a;
    std::swap(f.pkts[0], f.pkts[1]);
    std::swap(f.bytes[0], f.bytes[1]);
    std::swap(f.mac[0], f.mac[1]);
    std::swap(f.tcp->stream[0], f.tcp->stream[1]);
    std::swap(f.tcp->at_session_start[0], f.tcp->at_session_start[1]);
    std::swap(f.tcp->fin[0], f.tcp->fin[1]);
    std::swap(f.tcp->rst[0], f.tcp->rst[1]);
  }
  f.mid_stream = false;
}

void FlowTable::process(const packet::Packet& p, std::span<const PacketLocation> locations,
                        bool rebuilt_from_fragments, bool fragment_conflict) {
  if (p.ts > now_) now_ = p.ts;
  bool src_is_a = true;
  const FlowKey key = make_flow_key(p, src_is_a, limits_.vlan_in_key);
  const std::uint64_t hash = hash_flow_key(key);
  const bool tcp = p.ip_proto == packet::kProtoTcp && p.has_l4;

  Flow* f = find(key, hash);
  // Sweeps run once a second of packet time: a flow idle past its timeout must not take the
  // packet that ends the idleness (the same 5-tuple used again after a pause) first.
  if (f != nullptr && p.ts - f->ts_last > timeout_of(f->timeout_class)) {
    end_timed_out(f);
    f = nullptr;
  }
  if (f != nullptr && tcp && (p.tcp_flags & (kTcpSyn | kTcpAck | kTcpRst)) == kTcpSyn) {
    if (starts_new_connection(*f, src_is_a, p.tcp_seq)) {
      ++counters_.port_reuse;
      end_session(*f, EndReason::kPortReuse, p.ts);
      release(f);
      f = nullptr;
    } else if (!f->tcp->stream[0].delivered_any() && !f->tcp->stream[1].delivered_any()) {
      adopt_handshake(*f, src_is_a);
    }
  }
  if (f == nullptr) f = create(key, hash, p, src_is_a);

  if (p.ts - f->session_start > limits_.absolute_timeout_ns) split_session(*f, p.ts);

  const Direction dir = f->direction_of(src_is_a);
  const int d = index(dir);
  ++f->pkts[d];
  f->bytes[d] += p.payload_wire_len;
  ++counters_.packets;
  counters_.payload_bytes += p.payload_wire_len;
  if (p.ts < f->ts_first) f->ts_first = p.ts;
  if (p.ts > f->ts_last) f->ts_last = p.ts;
  if (f->mac[d] == 0) f->mac[d] = p.src_mac;
  if (f->mac[1 - d] == 0) f->mac[1 - d] = p.dst_mac;
  if (p.anomalies & packet::kAnomalySnaplenCut) f->truncated = true;
  if (p.anomalies & packet::kAnomalyLyingLength) f->malformed = true;
  if (rebuilt_from_fragments) f->fragmented = true;
  if (fragment_conflict) f->fragment_conflict = true;
  f->frames += locations.size();
  for (const PacketLocation& loc : locations) {
    f->locations.add(loc);
    if (f->locations.size_bytes() >= limits_.locations_chunk_bytes) observer_.on_locations_full(*f);
  }

  if (tcp) {
    process_tcp(*f, p, dir);
  } else if (f->sink != nullptr && p.ip_proto == packet::kProtoUdp && p.has_l4 &&
             !p.payload.empty()) {
    f->sink->on_datagram(dir, p.ts, p.payload);
  }

  // Most recently active goes to the back of its timeout list.
  const std::uint8_t cls = f->closing ? std::uint8_t{kTcpClosing} : f->timeout_class;
  list_remove(f);
  list_push(f, cls);

  if (now_ >= next_sweep_) {
    expire(now_);
    next_sweep_ = now_ + kNsPerSec;
  }
}

void FlowTable::process_tcp(Flow& f, const packet::Packet& p, Direction dir) {
  TcpState& t = *f.tcp;
  const int d = index(dir);
  if ((p.tcp_flags & (kTcpSyn | kTcpAck)) == kTcpSyn && dir == Direction::kClientToServer)
    t.handshake_seen = true;
  t.stream[d].on_segment(context(f, dir), p.ts, p.tcp_seq, p.tcp_flags, p.payload,
                         p.payload_wire_len);
  if (p.tcp_flags & kTcpAck) {
    const Direction peer = opposite(dir);
    t.stream[index(peer)].on_peer_ack(context(f, peer), p.tcp_ack);
  }
  if (p.tcp_flags & kTcpFin) t.fin[d] = true;
  if (p.tcp_flags & kTcpRst) t.rst[d] = true;
  if (!f.closing && ((t.fin[0] && t.fin[1]) || t.rst[0] || t.rst[1])) {
    f.closing = true;  // process() moves it to the closing list
  }
}

void FlowTable::end_session(Flow& f, EndReason reason, TimeNs ts) {
  if (f.tcp && reason != EndReason::kAbsoluteTimeout) {
    for (Direction d : {Direction::kClientToServer, Direction::kServerToClient})
      f.tcp->stream[index(d)].finish(context(f, d), ts);
  }
  ++counters_.sessions_ended;
  observer_.on_session_end(f, reason);
}

void FlowTable::split_session(Flow& f, TimeNs ts) {
  ++counters_.absolute_splits;
  end_session(f, EndReason::kAbsoluteTimeout, ts);
  f.pkts[0] = f.pkts[1] = 0;
  f.bytes[0] = f.bytes[1] = 0;
  f.ts_first = f.ts_last = f.session_start = ts;
  f.continued = true;
  f.truncated = f.malformed = f.fragmented = f.fragment_conflict = false;
  f.locations.clear();
  f.location_part = 0;
  f.frames = 0;
  if (f.tcp) {
    f.tcp->at_session_start[0] = f.tcp->stream[0].stats();
    f.tcp->at_session_start[1] = f.tcp->stream[1].stats();
  }
  observer_.on_session_start(f);
}

void FlowTable::release(Flow* f) {
  table_erase(f);
  list_remove(f);
  if (f->tcp) {
    f->tcp->stream[0].reset(context(*f, Direction::kClientToServer));
    f->tcp->stream[1].reset(context(*f, Direction::kServerToClient));
  }
  // Recycle the object; its location buffer keeps its capacity for the next flow.
  auto tcp = std::move(f->tcp);
  LocationEncoder locations = std::move(f->locations);
  locations.clear();
  *f = Flow{};
  f->locations = std::move(locations);
  if (tcp) {
    *tcp = TcpState{};
    f->tcp = std::move(tcp);
  }
  counters_.active_flows.set(size_);
  if (free_.size() < 1024) {
    free_.emplace_back(f);
  } else {
    delete f;
  }
}

void FlowTable::evict_one(TimeNs ts) {
  // Closing flows go first; otherwise the least recently active of any kind.
  Flow* victim = lists_[kTcpClosing].head;
  if (victim == nullptr) {
    for (std::uint8_t c : {kTcpOpen, kUdp, kOther}) {
      Flow* h = lists_[c].head;
      if (h != nullptr && (victim == nullptr || h->ts_last < victim->ts_last)) victim = h;
    }
  }
  if (victim == nullptr) return;
  ++counters_.evictions;
  end_session(*victim, EndReason::kEvicted, ts);
  release(victim);
}

void FlowTable::end_timed_out(Flow* f) {
  EndReason reason = EndReason::kIdleTimeout;
  if (f->timeout_class == kTcpClosing) {
    reason = (f->tcp && (f->tcp->rst[0] || f->tcp->rst[1])) ? EndReason::kRst : EndReason::kFin;
  } else {
    ++counters_.idle_timeouts;
  }
  end_session(*f, reason, f->ts_last);
  release(f);
}

void FlowTable::expire(TimeNs now) {
  for (std::uint8_t c = 0; c < kClassCount; ++c) {
    const TimeNs timeout = timeout_of(c);
    while (lists_[c].head != nullptr && now - lists_[c].head->ts_last > timeout)
      end_timed_out(lists_[c].head);
  }
}

void FlowTable::advance(TimeNs now) {
  if (now > now_) now_ = now;
  expire(now_);
  next_sweep_ = now_ + kNsPerSec;
}

void FlowTable::flush_all() {
  for (std::uint8_t c = 0; c < kClassCount; ++c) {
    while (lists_[c].head != nullptr) {
      Flow* f = lists_[c].head;
      EndReason reason = EndReason::kEndOfInput;
      if (c == kTcpClosing)
        reason = (f->tcp && (f->tcp->rst[0] || f->tcp->rst[1])) ? EndReason::kRst : EndReason::kFin;
      end_session(*f, reason, f->ts_last);
      release(f);
    }
  }
}

}  // namespace kagami::flow
