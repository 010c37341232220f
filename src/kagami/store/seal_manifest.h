#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
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
  // "" , "recovered" (sealed after a crash, partial tail cut), "verbatim" (an imported file
  // copied whole), or "evicted: <why>" for a tombstone: the file named was removed by
  // retention at `sealed_at`; its other fields repeat its seal.
  std::string note;
  std::string prev;   // chain value of the previous entry (64 zeros for the first)
  std::string chain;  // SHA-256(prev, fields): editing or removing any entry breaks it
};

// The hash-chained manifest of sealed packet files (STORE/packets/MANIFEST): one line per
// file, appended and fsync'ed when the file closes. Each entry's chain value covers the
// previous one, so no entry can be changed, dropped or reordered without detection.
class SealManifest {
 public:
  // Reads an existing manifest (none is an empty one). Lines that fail to parse or whose
  // chain does not hold are reported in `problems`; the entries that parse are returned.
  static Result<SealManifest> load(const std::string& path, std::vector<std::string>* problems);

  // Completes seq/prev/chain of `e`, appends it durably. Safe from any thread (the capture
  // thread seals, retention's thread writes tombstones).
  Status append(SealEntry e);
  // Appends the tombstone of the sealed file `sealed`: removed at `when` because of `why`.
  Status append_tombstone(const SealEntry& sealed, TimeNs when, const std::string& why);

  // Every entry, seals and tombstones, in order (a copy: other threads may append).
  std::vector<SealEntry> entries() const;
  static std::string chain_of(const SealEntry& e);
  static bool is_tombstone(const SealEntry& e);

 private:
  std::string path_;
  std::vector<SealEntry> entries_;
  std::unique_ptr<std::mutex> mutex_ = std::make_unique<std::mutex>();
};

// The manifest read as the archive stands: the sealed files still kept, in sealing order, and
// the tombstone of each evicted one by file id.
struct ArchiveState {
  std::vector<SealEntry> kept;
  std::vector<SealEntry> evicted;  // tombstones
  const SealEntry* tombstone_of(std::uint32_t file_id) const;
};
ArchiveState archive_state(const std::vector<SealEntry>& entries);

}  // namespace kagami::store
