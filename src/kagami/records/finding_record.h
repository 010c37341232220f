#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "kagami/base/time.h"
#include "kagami/records/endpoints.h"

namespace kagami::records {

// Severity names in order, 0 (info) to 4 (critical): what sinks' bounds and digests compare.
inline int severity_rank(std::string_view severity) {
  if (severity == "critical") return 4;
  if (severity == "high") return 3;
  if (severity == "medium") return 2;
  if (severity == "low") return 1;
  return 0;
}

// What inspecting one object found, once per detector and confidence, for each sighting of
// the object (a file sent twice gives two sets of findings, one per session).
struct FindingRecord {
  std::uint64_t id = 0;
  std::string sha256;
  std::uint64_t session_id = 0;
  std::uint64_t file_event_id = 0;
  Endpoints endpoints;
  TimeNs ts = 0;  // the sighting's time
  std::string protocol, direction, file_name;
  std::string detector;    // "jp_my_number", "keyword", "yara:<rule>", "clamav:<signature>", ...
  std::string confidence;  // "low", "medium", "high"
  std::uint64_t count = 0;
  std::string severity;        // "info" (recorded, no alert), "low", "medium", "high", "critical"
  std::string sample;          // masked: never a whole value
  std::string member;          // inside an archive or document package; "" for the object itself
  std::uint64_t alert_id = 0;  // 0: no alert
};

// An alert to the administrator: the findings of one sighting that a rule made worth telling.
struct AlertRecord {
  std::uint64_t id = 0;
  TimeNs ts = 0;
  std::string severity;
  std::string title;  // the rules that fired, e.g. "My Numbers sent"
  std::uint64_t session_id = 0;
  std::uint64_t file_event_id = 0;
  std::string sha256;
  Endpoints endpoints;
  std::string protocol, direction, file_name, user, host;
  std::string findings;  // a summary: "jp_my_number x12 (high); keyword x1 (high)"
};

// How one object's inspection went (once per content).
struct InspectionRecord {
  std::string sha256;
  TimeNs ts = 0;
  std::uint64_t text_bytes = 0;
  std::string text_sha256;  // the extracted text, stored as an object of its own ("" for none)
  std::string flags;  // "encrypted,bomb,too_deep,truncated,corrupt,unsupported,scan_error,..."
  std::string note;   // the first reason
  std::uint32_t findings = 0;
  // The extracted text for the full-text index, cut at a bound (not kept in the record's row).
  std::string search_text;
};

}  // namespace kagami::records
