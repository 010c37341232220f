#include "kagami/mirror/in_process_source.h"

#include <chrono>
#include <cstring>
#include <thread>

namespace kagami::mirror {

void InProcessSource::offer(FrameBatch& batch) {
  FrameBatch taken;
  taken.bytes.swap(batch.bytes);
  taken.packets = batch.packets;
  batch.packets = 0;
  const std::uint32_t packets = taken.packets;
  if (!queue_.try_push(std::move(taken))) dropped_.fetch_add(packets, std::memory_order_relaxed);
}

capture::NextStatus InProcessSource::next(capture::RawPacket& out) {
  while (offset_ >= current_.bytes.size()) {
    current_.clear();
    offset_ = 0;
    if (queue_.try_pop(current_)) continue;
    // Read closed_ before the final look at the queue: a batch pushed before close() is seen.
    if (closed_.load(std::memory_order_acquire)) {
      if (queue_.try_pop(current_)) continue;
      return capture::NextStatus::kEnd;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return capture::NextStatus::kTimeout;
  }
  std::uint32_t h[4];
  std::memcpy(h, current_.bytes.data() + offset_, sizeof h);
  out.ts = static_cast<TimeNs>(h[0]) * kNsPerSec + h[1];
  out.data = ByteView(current_.bytes.data() + offset_ + kPcapRecordHeaderBytes, h[2]);
  out.wire_len = h[3];
  out.file_offset = capture::RawPacket::kNoOffset;
  offset_ += kPcapRecordHeaderBytes + h[2];
  received_.fetch_add(1, std::memory_order_relaxed);
  return capture::NextStatus::kPacket;
}

capture::SourceStats InProcessSource::stats() const {
  capture::SourceStats s;
  s.received = received_.load(std::memory_order_relaxed);
  s.interface_dropped = dropped_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace kagami::mirror
