#pragma once

#include <vector>

#include "kagami/records/session_record.h"

namespace kagami::recorder {

// What producers (workers, the capture thread) hand the store writer in one go.
struct StoreBatch {
  std::vector<records::SessionRecord> sessions;
  std::vector<records::PacketLocationChunk> locations;
  std::vector<records::ArchiveFileRecord> files;

  bool empty() const { return sessions.empty() && locations.empty() && files.empty(); }
  std::size_t rows() const { return sessions.size() + locations.size() + files.size(); }
};

}  // namespace kagami::recorder
