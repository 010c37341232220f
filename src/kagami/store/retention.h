#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "kagami/base/result.h"
#include "kagami/base/time.h"
#include "kagami/store/seal_manifest.h"
#include "kagami/store/store_layout.h"

namespace kagami::store {

class SqliteIndex;

// How long a store keeps what it holds ([retention], --retain-*). Packets go first, oldest
// sealed file first; the sessions and records made from them stay until their own horizon
// (flagged packets_expired meanwhile), as Arkime's do. Ages count from when a packet file was
// sealed into the store (an imported capture from 2019 is not evicted the day it is imported).
struct RetentionPolicy {
  std::uint64_t max_bytes = 0;  // the whole store: packets, objects, index (0: no limit)
  TimeNs max_age = 0;           // packets (0: no limit)
  // Packet files holding a session that is evidence (a finding above "info", an alert, an
  // investigator's export) outlive max_age until this age (0: until the byte limit leaves no other
  // choice).
  TimeNs evidence_age = 0;
  // Sessions, records and the objects only they refer to, counted from the seal of the last
  // packet file they had packets in (0: kept). Evidence sessions are never removed by age.
  TimeNs metadata_age = 0;
  // Room kept free on the store's file system: files are evicted early to keep it.
  std::uint64_t min_free_bytes = 0;

  bool enabled() const { return max_bytes || max_age || metadata_age || min_free_bytes; }
  // "packets 90d, evidence 365d, metadata 400d, store 2.0 TiB, keep 10 GiB free" or "none".
  std::string describe() const;
  // The limits together make sense (metadata outlives the packets it describes, ...).
  Status check() const;
};

struct RetentionRun {
  std::vector<std::string> evicted;  // packet files, each "name (why)"
  std::uint64_t bytes_freed = 0;
  std::uint64_t sessions_flagged = 0;  // lost some packets
  std::uint64_t sessions_deleted = 0, records_deleted = 0, objects_deleted = 0;
  // Of sessions_deleted, those removed before their metadata horizon because the store was
  // still over its size (or free-space) limit with no packet file left to evict.
  std::uint64_t sessions_deleted_early = 0;
  // After a run that changed the store; otherwise what the limits were checked against (0 when
  // no size limit applies).
  std::uint64_t store_bytes = 0;
  bool limit_unmet = false;  // over a limit with nothing evictable left
  std::vector<std::string> problems;
  bool changed() const { return !evicted.empty() || sessions_deleted || objects_deleted; }
};

// What the store holds on disk now: sealed and open packet files, objects, index, queues.
std::uint64_t store_bytes(const StoreLayout& layout);

// One eviction pass. Each evicted file first gets its tombstone in the hash-chained manifest
// (then a crash leaves at worst a file that the next pass removes, never a file gone without
// a trace), then the index marks it and flags its sessions, then it is unlinked. Runs on a
// thread of its own with its own index connection: capture never waits for it.
class Retention {
 public:
  Retention(StoreLayout layout, RetentionPolicy policy, SealManifest& manifest);

  // `disk_full`: a write just failed for want of room: evict until the file system has
  // room again (at least 5% free) if the policy allows eviction at all.
  Result<RetentionRun> run(SqliteIndex& index, TimeNs now, bool disk_full = false);

  const RetentionPolicy& policy() const { return policy_; }
  // Raised while a pass writes the index: the recorder's writer, which otherwise takes the
  // write lock again the moment it lets it go, waits a little before its next transaction.
  std::atomic<int>& index_gate() { return gate_; }

 private:
  Status evict(const SealEntry& e, TimeNs now, const std::string& why, RetentionRun& out);
  // Sessions of evicted packet files past the metadata horizon, oldest file first; with
  // `pressed`, before it, as long as pressed() says the store is still over a limit.
  Status expire_metadata(SqliteIndex& index, TimeNs now, RetentionRun& out,
                         const std::function<bool()>* pressed = nullptr);
  Status flag_late_sessions(SqliteIndex& index, RetentionRun& out);
  void tell_index(SqliteIndex& index, RetentionRun& out);
  Result<bool> is_evidence(SqliteIndex& index, const SealEntry& e);

  StoreLayout layout_;
  RetentionPolicy policy_;
  SealManifest& manifest_;
  std::vector<SealEntry> told_;  // evicted in this pass, for tell_index
  std::atomic<int> gate_{0};
  std::uint64_t marked_seq_ = 0;            // tombstones up to here are in the index
  std::set<std::uint32_t> evidence_files_;  // files known to hold evidence
};

// Holds a Retention's index gate up for its scope.
class IndexGate {
 public:
  explicit IndexGate(std::atomic<int>& g) : g_(g) { g_.fetch_add(1); }
  ~IndexGate() { g_.fetch_sub(1); }
  IndexGate(const IndexGate&) = delete;
  IndexGate& operator=(const IndexGate&) = delete;

 private:
  std::atomic<int>& g_;
};

}  // namespace kagami::store
