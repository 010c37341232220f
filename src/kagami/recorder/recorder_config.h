#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "kagami/alert/alert_sink.h"
#include "kagami/analyzers/context.h"
#include "kagami/capture/packet_archive.h"
#include "kagami/flow/flow_table.h"
#include "kagami/flow/tcp_stream.h"
#include "kagami/inspect/alert_policy.h"
#include "kagami/inspect/inspector.h"
#include "kagami/packet/defragmenter.h"
#include "kagami/recorder/ppap_correlator.h"
#include "kagami/store/retention.h"

namespace kagami::recorder {

struct StoreWriterLimits {
  std::size_t batch_rows = 5000;    // rows per transaction at most...
  int batch_max_ms = 500;           // ...and a commit at least this often while rows arrive
  std::size_t queue_batches = 256;  // per producer; a full queue makes the producer wait
  // Rows of failed transactions held for another try (a full disk); beyond, the oldest go
  // (counted in store.rows_dropped).
  std::size_t retry_rows = 200'000;
};

struct RecorderConfig {
  std::string sensor;  // the name stored with every session (default: host name)
  std::string store_dir;
  // Which analysis this is (sessions.analysis): 0 a recording, N the Nth `kagami reanalyze`,
  // whose source hands out packets the archive already holds (RawPacket::archived).
  std::uint32_t analysis = 0;
  // Flow worker threads; 0 runs flows on the capture thread; -1 chooses: the cores left
  // after the capture thread and the archive's hashing (none on a 2-core machine).
  int workers = -1;
  std::size_t worker_ring_bytes = 64u << 20;  // packets in flight to each worker
  std::size_t worker_batch_records = 512;     // sessions a worker groups per store batch
  bool live = false;  // a live source: never wait for a worker (backlog, or drop and count)
  // Live: what a worker has no room for waits on disk in order (an unnamed file in the store)
  // until it catches up, up to this much per worker; beyond, dropped and counted (0: drop).
  std::uint64_t worker_backlog_bytes = 4ull << 30;
  // An alert when the analysis is this far behind the capture (packet time; 0: none).
  TimeNs lag_alert_ns = 60 * kNsPerSec;
  flow::FlowConfig flow;
  flow::ReassemblyLimits reassembly;
  packet::DefragLimits defrag;
  capture::ArchiveLimits archive;
  StoreWriterLimits store;
  bool analyze = true;  // protocol analyzers and file extraction
  analyzers::AnalyzerLimits analyzers;
  int file_compression_level = 1;  // zstd level of extracted files
  // Content inspection of every extracted object, on threads of its own. Recorder::open
  // builds the inspector from `inspect_options` unless one is given.
  bool inspect = true;
  inspect::InspectorOptions inspect_options;
  std::shared_ptr<const inspect::Inspector> inspector;
  inspect::AlertPolicy alert_policy = inspect::AlertPolicy::defaults();
  bool default_alert_rules = true;  // false: only the configured rules (the config loader)
  int inspect_threads = 1;
  // Archive mails paired with the password mails that follow them, each archive tried.
  PpapOptions ppap;
  // Where alerts go besides the index ([[alert.sinks]]); their queues live in the store.
  std::vector<alert::SinkConfig> alert_sinks;
  std::uint64_t inspect_max_object_bytes = 256u << 20;
  // What the store keeps and for how long ([retention]); passes run this often, and soon after
  // each sealed packet file.
  store::RetentionPolicy retention;
  int retention_interval_ms = 60'000;
};

}  // namespace kagami::recorder
