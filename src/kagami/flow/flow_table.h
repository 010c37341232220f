#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "kagami/base/counter.h"
#include "kagami/base/packet_location.h"
#include "kagami/base/time.h"
#include "kagami/flow/flow.h"
#include "kagami/packet/packet.h"

namespace kagami::flow {

struct FlowConfig {
  // Whether VLAN ids are part of the flow key. On (as Suricata's vlan.use-for-tracking) so
  // overlapping address spaces in different VLANs stay apart; turn off where a mirror tags
  // only one direction of a connection.
  bool vlan_in_key = true;
  std::size_t max_flows = 1u << 20;  // per worker; the least recently active is evicted
  TimeNs tcp_idle_timeout_ns = 300 * kNsPerSec;
  TimeNs udp_idle_timeout_ns = 60 * kNsPerSec;
  TimeNs other_idle_timeout_ns = 60 * kNsPerSec;
  TimeNs closed_linger_ns = 5 * kNsPerSec;  // stragglers after FIN/RST stay in the session
  TimeNs absolute_timeout_ns = 3600 * kNsPerSec;
  std::size_t locations_chunk_bytes = 16u << 10;
};

struct FlowCounters {
  Counter packets;
  Counter payload_bytes;
  Counter flows_created;
  Counter sessions_ended;
  Counter idle_timeouts;
  Counter absolute_splits;
  Counter evictions;
  Counter port_reuse;
  Counter active_flows;

  template <typename F>
  void visit(F&& f) const {
    f("flow.packets", packets);
    f("flow.payload_bytes", payload_bytes);
    f("flow.created", flows_created);
    f("flow.sessions_ended", sessions_ended);
    f("flow.idle_timeouts", idle_timeouts);
    f("flow.absolute_splits", absolute_splits);
    f("flow.evictions", evictions);
    f("flow.port_reuse", port_reuse);
    f("flow.active", active_flows);
  }
};

// Told about sessions as they begin and end. The recorder implements it.
class FlowObserver {
 public:
  virtual ~FlowObserver() = default;
  // A session begins on `flow` (a new flow, or the rest of one cut by the absolute timeout):
  // set flow.session_id, and flow.sink to receive TCP payload.
  virtual void on_session_start(Flow& flow) = 0;
  // The session is over; for kAbsoluteTimeout the flow itself goes on in a new session.
  virtual void on_session_end(Flow& flow, EndReason reason) = 0;
  // flow.locations reached the chunk size: take() it now so memory stays bounded.
  virtual void on_locations_full(Flow& flow) = 0;
};

// Bidirectional flow table of one worker: finds the flow of each packet, tracks who is
// client and server, reassembles TCP, and ends sessions by FIN/RST, timeouts (in packet
// time), eviction, port reuse or end of input. No locks: one table per worker thread.
class FlowTable {
 public:
  FlowTable(FlowConfig limits, ReassemblyLimits reassembly, FlowObserver& observer);
  ~FlowTable();
  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;

  // One decoded IP packet with a transport header (or a non-first-fragment-free packet of
  // another protocol). `locations` are where its frames are archived: one, or every fragment
  // of a rebuilt datagram.
  void process(const packet::Packet& p, std::span<const PacketLocation> locations,
               bool rebuilt_from_fragments = false, bool fragment_conflict = false);

  // Packet time moved on (the capture thread ticks idle workers): expire idle flows.
  void advance(TimeNs now);

  // Ends every flow (end of input).
  void flush_all();

  std::size_t size() const { return size_; }
  const FlowCounters& counters() const { return counters_; }
  const ReassemblyCounters& reassembly_counters() const { return rcounters_; }
  const ReassemblyBudget& reassembly_budget() const { return budget_; }

 private:
  enum TimeoutClass : std::uint8_t { kTcpOpen, kTcpClosing, kUdp, kOther, kClassCount };
  struct Slot {
    Flow* flow = nullptr;
    std::uint64_t hash = 0;
  };
  struct List {
    Flow* head = nullptr;
    Flow* tail = nullptr;
  };

  Flow* find(const FlowKey& key, std::uint64_t hash) const;
  void table_insert(Flow* f);
  void table_erase(Flow* f);
  void grow();

  Flow* create(const FlowKey& key, std::uint64_t hash, const packet::Packet& p, bool src_is_a);
  bool starts_new_connection(const Flow& f, bool src_is_a, std::uint32_t seq) const;
  void adopt_handshake(Flow& f, bool src_is_a);
  void process_tcp(Flow& f, const packet::Packet& p, Direction dir);
  void end_session(Flow& f, EndReason reason, TimeNs ts);
  void split_session(Flow& f, TimeNs ts);
  void release(Flow* f);
  void evict_one(TimeNs ts);
  void expire(TimeNs now);

  void list_push(Flow* f, std::uint8_t cls);
  void list_remove(Flow* f);
  TimeNs timeout_of(std::uint8_t cls) const;
  void end_timed_out(Flow* f);  // ends and releases a flow past its timeout
  StreamContext context(Flow& f, Direction d);

  FlowConfig limits_;
  ReassemblyLimits rlimits_;
  FlowObserver& observer_;
  FlowCounters counters_;
  ReassemblyCounters rcounters_;
  ReassemblyBudget budget_;

  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
  List lists_[kClassCount];
  std::vector<std::unique_ptr<Flow>> free_;
  TimeNs now_ = 0;
  TimeNs next_sweep_ = 0;
};

}  // namespace kagami::flow
