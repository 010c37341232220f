#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "kagami/base/time.h"

namespace kagami::mirror {

constexpr std::size_t kPcapRecordHeaderBytes = 16;

// Synthesized frames as consecutive classic pcap records (nanosecond timestamps, little
// endian): what every mirror output writes or parses without another copy.
struct FrameBatch {
  std::vector<std::uint8_t> bytes;
  std::uint32_t packets = 0;

  bool empty() const { return packets == 0; }
  void clear() {
    bytes.clear();
    packets = 0;
  }
  // Starts a record: returns where its header goes; the frame is appended after it.
  std::size_t begin_record() {
    const std::size_t at = bytes.size();
    bytes.resize(at + kPcapRecordHeaderBytes);
    return at;
  }
  // Fills the header begun at `at` for the frame appended since.
  void end_record(std::size_t at, TimeNs ts) {
    const auto len = static_cast<std::uint32_t>(bytes.size() - at - kPcapRecordHeaderBytes);
    const std::uint32_t h[4] = {static_cast<std::uint32_t>(ts / kNsPerSec),
                                static_cast<std::uint32_t>(ts % kNsPerSec), len, len};
    std::memcpy(bytes.data() + at, h, sizeof h);  // pcap records are in the writer's order
    ++packets;
  }
};

}  // namespace kagami::mirror
