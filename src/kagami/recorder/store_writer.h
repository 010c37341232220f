#pragma once

#include <atomic>
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
  template <typename F>
  void visit(F&& f) const {
    f("store.sessions", sessions);
    f("store.records", records);
    f("store.location_chunks", location_chunks);
    f("store.files", files);
    f("store.transactions", transactions);
    f("store.errors", errors);
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

 private:
  void run();
  void write(StoreBatch& b);
  void commit();

  std::unique_ptr<store::SqliteIndex> index_;
  StoreWriterLimits limits_;
  std::vector<std::unique_ptr<Queue>> queues_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  bool in_txn_ = false;
  std::size_t txn_rows_ = 0;
  std::string first_error_;
  StoreWriterCounters counters_;
};

}  // namespace kagami::recorder
