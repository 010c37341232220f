#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "kagami/base/counter.h"
#include "kagami/base/result.h"
#include "kagami/store/retention.h"

namespace kagami::store {
class SqliteIndex;
}

namespace kagami::recorder {

struct RetentionCounters {
  Counter runs;
  Counter files_evicted;
  Counter bytes_evicted;
  Counter sessions_flagged;
  Counter sessions_deleted;
  Counter sessions_deleted_early;  // before the metadata horizon, to hold the size limit
  Counter objects_deleted;
  Counter limit_unmet;  // passes that ended still over a limit (nothing left to evict)
  Counter errors;
  template <typename F>
  void visit(F&& f) const {
    f("retention.runs", runs);
    f("retention.files_evicted", files_evicted);
    f("retention.bytes_evicted", bytes_evicted);
    f("retention.sessions_flagged", sessions_flagged);
    f("retention.sessions_deleted", sessions_deleted);
    f("retention.sessions_deleted_early", sessions_deleted_early);
    f("retention.objects_deleted", objects_deleted);
    f("retention.limit_unmet", limit_unmet);
    f("retention.errors", errors);
  }
};

// Runs store::Retention on a thread of its own: every `interval`, and soon after each sealed
// packet file or failed write. Each pass that removed something is one audit-log entry.
class RetentionRunner {
 public:
  static Result<std::unique_ptr<RetentionRunner>> start(const store::StoreLayout& layout,
                                                        const store::RetentionPolicy& policy,
                                                        store::SealManifest& manifest,
                                                        std::chrono::milliseconds interval);
  ~RetentionRunner();

  // A file was sealed (the store grew) or a write failed for want of room: run soon.
  void nudge(bool disk_full = false);
  // Stops the thread, then one last pass over everything written (call after the writer is
  // done, so the last sessions are in the index).
  Status finish();

  const RetentionCounters& counters() const { return counters_; }
  // Up while a pass writes the index (StoreWriter::yield_to).
  const std::atomic<int>& index_gate() { return retention_.index_gate(); }

 private:
  RetentionRunner(std::unique_ptr<store::SqliteIndex> index, const store::StoreLayout& layout,
                  const store::RetentionPolicy& policy, store::SealManifest& manifest,
                  std::chrono::milliseconds interval);
  void loop();
  Status pass(bool disk_full);

  std::unique_ptr<store::SqliteIndex> index_;
  store::Retention retention_;
  std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool nudged_ = false, disk_full_ = false, stopping_ = false;
  std::thread thread_;
  RetentionCounters counters_;
  bool early_said_ = false;  // the warning about metadata removed early, once
};

}  // namespace kagami::recorder
