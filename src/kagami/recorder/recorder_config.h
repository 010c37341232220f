#pragma once

#include <cstddef>
#include <string>

#include "kagami/capture/packet_archive.h"
#include "kagami/flow/flow_table.h"
#include "kagami/flow/tcp_stream.h"
#include "kagami/packet/defragmenter.h"

namespace kagami::recorder {

struct StoreWriterLimits {
  std::size_t batch_rows = 5000;  // rows per transaction at most...
  int batch_max_ms = 500;         // ...and a commit at least this often while rows arrive
  std::size_t queue_batches = 256;  // per producer; a full queue makes the producer wait
};

struct RecorderConfig {
  std::string sensor;     // the name stored with every session (default: host name)
  std::string store_dir;
  unsigned workers = 1;   // flow workers; 0 runs everything on the capture thread
  std::size_t worker_ring_bytes = 64u << 20;  // packets in flight to each worker
  std::size_t worker_batch_records = 512;     // sessions a worker groups per store batch
  bool live = false;  // a live source: drop (and count) when a worker falls behind, never wait
  flow::FlowConfig flow;
  flow::ReassemblyLimits reassembly;
  packet::DefragLimits defrag;
  capture::ArchiveLimits archive;
  StoreWriterLimits store;
};

}  // namespace kagami::recorder
