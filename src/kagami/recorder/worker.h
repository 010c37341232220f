#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "kagami/analyzers/context.h"
#include "kagami/base/byte_ring.h"
#include "kagami/base/counter.h"
#include "kagami/base/packet_location.h"
#include "kagami/flow/flow_table.h"
#include "kagami/packet/packet.h"
#include "kagami/recorder/analysis_backlog.h"
#include "kagami/recorder/file_extractor.h"
#include "kagami/recorder/recorder_config.h"
#include "kagami/recorder/store_batch.h"
#include "kagami/recorder/store_writer.h"
#include "kagami/records/notable.h"
#include "kagami/records/proxied_connection.h"

namespace kagami::recorder {

// Ring messages from the capture thread to a worker.
enum class WorkerMessage : std::uint8_t { kPacket, kRebuilt, kTick, kEnd };

struct WorkerMessageHeader {
  WorkerMessage kind;
  bool fragment_conflict;
  std::uint16_t location_count;
  std::int32_t dlt;
  TimeNs ts;
  std::uint32_t wire_len;
  std::uint32_t caplen;
  // Link fields of a rebuilt datagram (its bytes start at the IP header).
  std::uint64_t src_mac, dst_mac;
  std::uint16_t vlan_outer, vlan_inner;
  std::uint8_t vlan_count;
  // followed by location_count PacketLocation, then caplen bytes
};

// What every worker shares: id sequences, the stores, and what sessions tell each other
// (DNS names, announced connections).
struct WorkerShared {
  std::atomic<std::uint64_t> next_session_id{1};
  std::atomic<std::uint64_t> next_id[analyzers::kIdSpaces];
  store::FileStore* files = nullptr;
  analyzers::NameCache* names = nullptr;
  analyzers::ExpectedConnections* expected = nullptr;
  records::ProxiedConnections* proxied = nullptr;  // notes of an in-process insight proxy
  class InspectionPool* inspection = nullptr;      // content inspection; null: none
  class PpapCorrelator* ppap = nullptr;            // archive and password mails; null: none
  analyzers::SharedState analyzers;                // what analyzers share across workers
  std::atomic<std::uint64_t> files_not_stored{0};  // objects whose bytes found no room
  WorkerShared() {
    for (auto& n : next_id) n.store(1);
  }
};

// One flow worker: owns a flow table (the flows whose hash maps here), runs the protocol
// analyzers of its sessions, turns ended sessions and what the analyzers found into records,
// and hands them to the store writer in batches.
class Worker final : public flow::FlowObserver, public analyzers::RecordSink {
 public:
  Worker(std::size_t index, const RecorderConfig& config, WorkerShared& shared, StoreWriter& writer,
         std::size_t writer_queue);
  ~Worker() override;

  // Called on the worker's own thread, or on the capture thread when there are no workers.
  void on_packet(const packet::Packet& p, std::span<const PacketLocation> locations, bool rebuilt,
                 bool fragment_conflict);
  void on_tick(TimeNs now);
  void on_end();

  // Threaded mode.
  ByteRing& ring() { return *ring_; }
  // Where a live capture puts what the ring has no room for (null: dropped instead).
  void use_backlog(std::unique_ptr<AnalysisBacklog> backlog) { backlog_ = std::move(backlog); }
  AnalysisBacklog* backlog() { return backlog_.get(); }
  const AnalysisBacklog* backlog() const { return backlog_.get(); }
  // Packet time of the last message the worker finished: how far behind the capture it is.
  TimeNs done_ts() const { return done_ts_.load(std::memory_order_relaxed); }
  void start();
  void join();

  const flow::FlowTable& table() const { return table_; }
  const Counter& decode_errors() const { return decode_errors_; }
  const analyzers::AnalyzerCounters& analyzer_counters() const { return acounters_; }

  // FlowObserver
  void on_session_start(flow::Flow& flow) override;
  void on_session_end(flow::Flow& flow, flow::EndReason reason) override;
  void on_locations_full(flow::Flow& flow) override;

  // analyzers::RecordSink
  std::uint64_t new_id(analyzers::IdSpace space) override;
  void emit(records::AnyRecord&& r) override;
  void emit(records::FileRecord&& file, records::FileEvent&& event) override;

 private:
  void run();
  void send_batch();
  void apply_proxy_note(const flow::Flow& flow, records::SessionRecord& r);
  // A record's notable event, to the inspection pool's alert policy.
  void tell_policy(records::Notable&& n);
  void take_locations(flow::Flow& flow);

  void maybe_send();

  std::size_t index_;
  const RecorderConfig& config_;
  WorkerShared& shared_;
  StoreWriter& writer_;
  std::size_t writer_queue_;
  flow::FlowTable table_;
  std::unique_ptr<StoreBatch> batch_;
  std::unique_ptr<ByteRing> ring_;
  std::unique_ptr<AnalysisBacklog> backlog_;
  std::atomic<TimeNs> done_ts_{0};
  std::thread thread_;
  Counter decode_errors_;
  LogOnce log_once_;
  analyzers::AnalyzerCounters acounters_;
  std::unique_ptr<FileExtractor> files_;
  analyzers::AnalyzerContext cx_;
  analyzers::Services services_;  // what the analyzers may find (PPAP's observer)
  std::unique_ptr<class PpapObserver> ppap_;
};

}  // namespace kagami::recorder
