#pragma once

#include <cstdint>

namespace kagami {

// Where a packet lives in the archive: which pcap file, and the byte offset of its record
// header. Every session keeps these so its packets can be exported without a scan.
struct PacketLocation {
  std::uint32_t file_id = 0;
  std::uint64_t offset = 0;
};

}  // namespace kagami
