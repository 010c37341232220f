#pragma once

#include <atomic>
#include <string>

#include "kagami/base/spsc_queue.h"
#include "kagami/capture/packet_source.h"
#include "kagami/mirror/frame_batch.h"

namespace kagami::mirror {

// The mirror as a packet source for a recorder in the same process (`kagami proxy --record`):
// the mirror thread hands over whole batches (their bytes move, no copy), the recorder's
// capture thread reads them as frames. When the recorder falls behind, batches are dropped
// and counted rather than held: the proxy never waits for its recorder.
class InProcessSource final : public capture::PacketSource {
 public:
  explicit InProcessSource(std::size_t max_batches = 256) : queue_(max_batches) {}

  // Mirror thread. Takes the batch's bytes (leaving it empty) or drops it.
  void offer(FrameBatch& batch);
  // No batch follows: next() ends once the queued ones are read.
  void close() { closed_.store(true, std::memory_order_release); }
  std::uint64_t dropped_packets() const { return dropped_.load(std::memory_order_relaxed); }

  capture::NextStatus next(capture::RawPacket& out) override;
  int link_type() const override { return 1; }  // Ethernet
  std::uint32_t snaplen() const override { return 262144; }
  std::string name() const override { return "proxy mirror"; }
  capture::SourceStats stats() const override;
  const std::string& error() const override { return error_; }

 private:
  SpscQueue<FrameBatch> queue_;
  FrameBatch current_;
  std::size_t offset_ = 0;
  std::atomic<bool> closed_{false};
  std::atomic<std::uint64_t> dropped_{0}, received_{0};
  std::string error_;
};

}  // namespace kagami::mirror
