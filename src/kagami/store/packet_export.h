#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kagami/base/packet_location.h"
#include "kagami/base/result.h"
#include "kagami/store/sqlite_index.h"
#include "kagami/store/store_layout.h"

namespace kagami::store {

struct ExportResult {
  std::uint64_t packets = 0;
  std::uint64_t masked_packets = 0;  // packets whose credentials were masked
  std::uint64_t masked_bytes = 0;
  std::uint64_t unreadable = 0;  // locations whose record could not be read
  std::uint64_t expired = 0;     // packets in files retention evicted
  std::vector<std::string> problems;
};

struct ExportOptions {
  // Credentials (passwords, Authorization values, SASL responses) are masked unless an admin
  // asks for the packets as captured (audited by the caller). See CredentialScrub.
  bool raw = false;
};

// Writes the archived packets at `locations` to one pcap file, in capture order, each packet
// once. Reads only those records (by offset), never scans the archive.
Result<ExportResult> export_packets(const StoreLayout& layout, SqliteIndex& index,
                                    std::vector<PacketLocation> locations,
                                    const std::string& out_path, const ExportOptions& options = {});

}  // namespace kagami::store
