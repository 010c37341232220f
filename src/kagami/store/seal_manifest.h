#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kagami/base/result.h"
#include "kagami/base/time.h"

namespace kagami::store {

// One sealed pcap file of the archive.
struct SealEntry {
  std::uint64_t seq = 0;  // 1, 2, 3, ... in sealing order
  std::uint32_t file_id = 0;
  std::string name;
  std::uint64_t bytes = 0;
  std::string sha256;  // of the whole file, hex
  std::uint64_t packets = 0;
  TimeNs first_ts = 0, last_ts = 0;
  int linktype = 0;
  TimeNs sealed_at = 0;  // wall clock
  std::string note;      // "" or "recovered" (sealed after a crash, partial tail cut)
  std::string prev;      // chain value of the previous entry (64 zeros for the first)
  std::string chain;     // SHA-256(prev, fields): editing or removing any entry breaks it
};

// The hash-chained manifest of sealed packet files (STORE/packets/MANIFEST): one line per
// file, appended and fsync'ed when the file closes. Each entry's chain value covers the
// previous one, so no entry can be changed, dropped or reordered without detection.
class SealManifest {
 public:
  // Reads an existing manifest (none is an empty one). Lines that fail to parse or whose
  // chain does not hold are reported in `problems`; the entries that parse are returned.
  static Result<SealManifest> load(const std::string& path, std::vector<std::string>* problems);

  // Completes seq/prev/chain of `e`, appends it durably.
  Status append(SealEntry e);

  const std::vector<SealEntry>& entries() const { return entries_; }
  static std::string chain_of(const SealEntry& e);

 private:
  std::string path_;
  std::vector<SealEntry> entries_;
};

}  // namespace kagami::store
