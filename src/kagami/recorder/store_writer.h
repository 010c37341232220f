#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "kagami/base/counter.h"
#include "kagami/base/spsc_queue.h"
#include "kagami/recorder/recorder_config.h"
#include "kagami/recorder/store_batch.h"
#include "kagami/store/sqlite_index.h"

namespace kagami::recorder {

struct StoreWriterCounters {
  Counter sessions;
  Counter records;  // protocol records and file sightings
  Counter location_chunks;
  Counter files;
  Counter transactions;
  Counter errors;
  Counter commit_failures;  // transactions that could not be written (no room, I/O error)...
  Counter rows_dropped;     // ...and rows given up after waiting for room past the bound
  template <typename F>
  void visit(F&& f) const {
    f("store.sessions", sessions);
    f("store.records", records);
    f("store.location_chunks", location_chunks);
    f("store.files", files);
    f("store.transactions", transactions);
    f("store.errors", errors);
    f("store.commit_failures", commit_failures);
    f("store.rows_dropped", rows_dropped);
  }
};

// The one thread that writes the index. Producers each own a queue (no locks); the writer
// drains them all into transactions of bounded size and age.
class StoreWriter {
 public:
  using Queue = SpscQueue<std::unique_ptr<StoreBatch>>;

  StoreWriter(std::unique_ptr<store::SqliteIndex> index, StoreWriterLimits limits,
              std::size_t producers);
  ~StoreWriter();

  Queue& queue(std::size_t producer) { return *queues_[producer]; }
  // Hands a batch over, waiting while the queue is full (records are never dropped).
  void push(std::size_t producer, std::unique_ptr<StoreBatch> batch);

  void start();
  // Writes everything queued, commits, and stops the thread.
  Status stop();

  const StoreWriterCounters& counters() const { return counters_; }
  // Called on the writer's thread when a transaction finds no room (retention evicts early).
  void on_disk_full(std::function<void()> f) { on_disk_full_ = std::move(f); }
  // Another connection (retention) waits for the write lock while this is above zero: a new
  // transaction waits for it, up to 250 ms (SQLite's busy handler alone starves it).
  void yield_to(const std::atomic<int>* waiting) { yield_to_ = waiting; }

 private:
  void run();
  bool write(StoreBatch& b);  // false: no transaction could be begun
  void commit();
  void retry_due();

  std::unique_ptr<store::SqliteIndex> index_;
  StoreWriterLimits limits_;
  std::vector<std::unique_ptr<Queue>> queues_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  bool in_txn_ = false;
  std::size_t txn_rows_ = 0;
  std::string first_error_;
  StoreWriterCounters counters_;
  // A failed transaction is rolled back and its batches written again once a second, so a
  // full disk delays rows instead of losing them, up to limits_.retry_rows.
  std::vector<std::unique_ptr<StoreBatch>> txn_batches_, retry_;
  std::size_t retry_rows_ = 0;
  bool waiting_ = false;  // rows wait for room (said once per wait)
  std::chrono::steady_clock::time_point retry_at_;
  std::function<void()> on_disk_full_;
  const std::atomic<int>* yield_to_ = nullptr;
};

}  // namespace kagami::recorder
