#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <vector>

#include "kagami/alert/alert_dispatcher.h"
#include "kagami/base/counter.h"
#include "kagami/base/log_once.h"
#include "kagami/capture/packet_archive.h"
#include "kagami/capture/packet_source.h"
#include "kagami/packet/defragmenter.h"
#include "kagami/packet/packet.h"
#include "kagami/recorder/recorder_config.h"
#include "kagami/recorder/shared_state.h"
#include "kagami/recorder/worker.h"
#include "kagami/store/file_store.h"
#include "kagami/store/seal_manifest.h"
#include "kagami/store/store_layout.h"

namespace kagami::recorder {

class StoreWriter;
class RetentionRunner;

struct CaptureCounters {
  Counter packets;
  Counter bytes;
  Counter decoded;
  Counter not_ip;          // valid frames without IP (ARP, LLDP, ...): archived only
  Counter undecodable;     // malformed headers or unsupported link types: archived only
  Counter internal_drops;  // live: a worker fell behind (the packet is still archived)
  Counter source_errors;
  Counter oversize;    // frames larger than a worker ring message: archived only
  Counter backlogged;  // live: went through a worker's backlog on disk (analysed late, not lost)

  template <typename F>
  void visit(F&& f) const {
    f("capture.packets", packets);
    f("capture.bytes", bytes);
    f("capture.decoded", decoded);
    f("capture.not_ip", not_ip);
    f("capture.undecodable", undecodable);
    f("capture.internal_drops", internal_drops);
    f("capture.source_errors", source_errors);
    f("capture.oversize", oversize);
    f("analysis.backlogged", backlogged);
  }
};

// The recording pipeline of ../shared/DESIGN.md: a capture thread (the caller of run())
// archives every frame, decodes and defragments, and shards packets by flow hash to worker
// threads; workers track flows and reassemble TCP; one writer thread batches records into
// the index.
class Recorder final : public capture::ArchiveListener {
 public:
  static Result<std::unique_ptr<Recorder>> open(const RecorderConfig& config);
  ~Recorder() override;

  // Records one source until it ends, fails, or stop() is called. Several sources (files)
  // may be recorded one after another; flows continue across them.
  Status run(capture::PacketSource& source);
  // Ends every flow, seals the archive, writes everything out. Call once.
  Status finish();

  // Sessions that an insight proxy in this process mirrored get what it noted about them
  // (decrypted, SNI, user, versions, verdict, policy). Call before run().
  void use_proxy_notes(records::ProxiedConnections* notes) { shared_.proxied = notes; }

  // The number the next session will get (before run(): the first this recorder gives).
  std::uint64_t next_session_id() const { return shared_.next_session_id.load(); }

  // Async-signal-safe: for SIGINT/SIGTERM and SIGUSR1 handlers.
  void stop() { stop_.store(true, std::memory_order_relaxed); }
  bool stopped() const { return stop_.load(std::memory_order_relaxed); }
  void request_stats() { stats_requested_.store(true, std::memory_order_relaxed); }

  // Every counter, one "name value" line each.
  void print_counters(std::ostream& out) const;
  std::vector<std::pair<std::string, std::uint64_t>> counters() const;
  const CaptureCounters& capture_counters() const { return counters_; }
  // The counters as the capture thread last took them (about once a second while a source
  // runs, and at its end): for any other thread (a metrics endpoint).
  std::vector<std::pair<std::string, std::uint64_t>> counters_snapshot() const {
    std::lock_guard lock(snapshot_mutex_);
    return snapshot_;
  }

  // ArchiveListener
  void on_archive_opened(const capture::ArchiveFileInfo& file) override;
  Status on_archive_sealed(const capture::ArchiveFileInfo& file) override;
  void on_archive_failed(const std::string& why) override;
  void on_archive_resumed(std::uint64_t dropped) override;

 private:
  explicit Recorder(const RecorderConfig& config);
  Status start(std::uint32_t next_file_id, std::uint64_t next_finding_id,
               std::uint64_t next_alert_id);
  void dispatch(const packet::Packet& p, std::span<const PacketLocation> locations, bool rebuilt,
                bool fragment_conflict, int dlt);
  void tick(TimeNs now);
  void take_snapshot(const capture::PacketSource& source);
  void publish_counters();  // the copy counters_snapshot() returns
  void snapshot_if_due(const capture::PacketSource& source);
  void send_control(std::size_t worker, std::uint8_t kind, TimeNs ts);
  void count_decode_failure(const char* kind, bool not_ip);
  void push_capture_batch();
  // Once a second on the capture thread: how far behind the capture the analysis is, and the
  // alert when that passes its bound.
  void measure_lag();
  // While a backlog waits on disk, STORE/status/analysis-behind.json says since which packet
  // time the analysis is behind; removed once it caught up. Found at the next start, it says a
  // crash lost what waited: the window to reanalyse.
  void mark_behind(TimeNs since);
  void clear_behind();
  void report_lost_backlog();
  // An alert about the recorder itself (archive cut short, analysis behind) to the sinks.
  void tell_admin(const char* severity, std::string title, std::string findings);

  RecorderConfig config_;
  store::StoreLayout layout_;
  std::unique_ptr<store::StoreLock> lock_;
  std::unique_ptr<store::SealManifest> manifest_;
  std::unique_ptr<StoreWriter> writer_;
  std::unique_ptr<capture::PacketArchive> archive_;
  std::unique_ptr<packet::Defragmenter> defrag_;
  std::vector<std::unique_ptr<Worker>> workers_;
  WorkerShared shared_;
  std::unique_ptr<store::FileStore> file_store_;
  std::unique_ptr<alert::AlertDispatcher> alerts_;
  std::unique_ptr<class InspectionPool> inspection_;
  std::unique_ptr<PpapCorrelator> ppap_;
  SharedNameCache names_;
  SharedExpectedConnections expected_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> stats_requested_{false};
  CaptureCounters counters_;
  capture::SourceStats finished_sources_;  // sources already recorded
  capture::SourceStats current_source_;    // snapshot of the one running
  LogOnce log_once_;
  mutable std::mutex snapshot_mutex_;
  std::vector<std::pair<std::string, std::uint64_t>> snapshot_;
  std::chrono::steady_clock::time_point snapshot_at_;
  TimeNs now_ = 0;  // highest packet time seen
  // Idle time (timeouts of a live source): since when by the clock, after which packet.
  std::chrono::steady_clock::time_point idle_since_;
  std::uint64_t idle_after_packets_ = ~0ull;
  TimeNs idle_from_ = 0;
  TimeNs last_tick_ = 0;
  bool finished_ = false;
  std::unique_ptr<struct StoreBatch> capture_batch_;
  std::unique_ptr<RetentionRunner> retention_;
  TimeNs lag_ = 0, lag_peak_ = 0;  // packet time the slowest worker is behind
  std::uint64_t backlog_bytes_ = 0, backlog_peak_bytes_ = 0;
  bool lag_alerted_ = false;
  TimeNs behind_since_ = 0;  // packet time of the oldest backlog still waiting (0: none)
};

}  // namespace kagami::recorder
