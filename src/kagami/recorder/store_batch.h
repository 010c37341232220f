#pragma once

#include <tuple>
#include <vector>

#include "kagami/records/file_record.h"
#include "kagami/records/record_types.h"
#include "kagami/records/session_record.h"

namespace kagami::recorder {

// What producers (workers, the capture thread) hand the store writer in one go.
struct StoreBatch {
  std::vector<records::SessionRecord> sessions;
  std::vector<records::PacketLocationChunk> locations;
  std::vector<records::ArchiveFileRecord> files;
  records::RecordVectors records;  // the analyzers' and inspection's records, a vector per type
  std::vector<records::FileRecord> objects;
  std::vector<records::FileEvent> object_events;
  std::vector<records::InspectionRecord> inspections;

  template <class R>
  std::vector<R>& of() {
    return std::get<std::vector<R>>(records);
  }
  template <class R>
  const std::vector<R>& of() const {
    return std::get<std::vector<R>>(records);
  }
  std::size_t record_rows() const {
    return std::apply([](const auto&... v) { return (v.size() + ... + 0); }, records);
  }
  std::size_t rows() const {
    return sessions.size() + locations.size() + files.size() + record_rows() + objects.size() +
           object_events.size() + inspections.size();
  }
  bool empty() const { return rows() == 0; }
};

}  // namespace kagami::recorder
