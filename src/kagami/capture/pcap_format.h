#pragma once

#include <cstdint>

namespace kagami::capture {

// Classic pcap file format (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcap-04.html).
// The archive writes nanosecond-resolution files so packet times survive exactly.
constexpr std::uint32_t kPcapMagicMicro = 0xa1b2c3d4;
constexpr std::uint32_t kPcapMagicNano = 0xa1b23c4d;
constexpr std::uint32_t kPcapFileHeaderBytes = 24;
constexpr std::uint32_t kPcapRecordHeaderBytes = 16;
constexpr std::uint32_t kPcapDefaultSnaplen = 262144;

// LINKTYPE_ value to write in a file header for a DLT_ value from libpcap. They are equal
// except for a few historical DLT numbers that differ between platforms.
int dlt_to_linktype(int dlt);

}  // namespace kagami::capture
