#include "kagami/recorder/store_writer.h"

#include <chrono>

#include <spdlog/spdlog.h>

#include "kagami/base/backoff.h"

namespace kagami::recorder {

StoreWriter::StoreWriter(std::unique_ptr<store::SqliteIndex> index, StoreWriterLimits limits,
                         std::size_t producers)
    : index_(std::move(index)), limits_(limits) {
  for (std::size_t i = 0; i < producers; ++i)
    queues_.push_back(std::make_unique<Queue>(limits_.queue_batches));
}

StoreWriter::~StoreWriter() {
  if (thread_.joinable()) (void)stop();
}

void StoreWriter::start() {
  thread_ = std::thread([this] { run(); });
}

void StoreWriter::push(std::size_t producer, std::unique_ptr<StoreBatch> batch) {
  Backoff backoff;
  while (!queues_[producer]->try_push(std::move(batch))) backoff.wait();
}

bool StoreWriter::write(StoreBatch& b) {
  if (!in_txn_ && yield_to_ != nullptr) {
    for (int waited = 0; waited < 250 && yield_to_->load(std::memory_order_relaxed) > 0; ++waited)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (!in_txn_) {
    if (auto s = index_->begin(); !s) {
      ++counters_.errors;
      if (first_error_.empty()) first_error_ = s.error().message;
      spdlog::error("{}", s.error().message);
      return false;
    }
    in_txn_ = true;
  }
  auto check = [this](const Status& s) {
    if (s) return;
    ++counters_.errors;
    if (first_error_.empty()) {
      first_error_ = s.error().message;
      spdlog::error("{}", s.error().message);
    }
  };
  for (const auto& f : b.files) {
    check(index_->upsert_archive_file(f));
    ++counters_.files;
  }
  for (const auto& c : b.locations) {
    check(index_->insert_locations(c));
    ++counters_.location_chunks;
  }
  for (const auto& s : b.sessions) {
    check(index_->insert_session(s));
    ++counters_.sessions;
  }
  std::apply(
      [&](const auto&... lists) {
        (
            [&] {
              for (const auto& r : lists) check(index_->insert(r));
            }(),
            ...);
      },
      b.records);
  for (const auto& r : b.objects) check(index_->insert(r));
  for (const auto& r : b.object_events) check(index_->insert(r));
  for (const auto& r : b.inspections) check(index_->upsert_inspection(r));
  counters_.records += b.record_rows() + b.object_events.size();
  txn_rows_ += b.rows();
  return true;
}

void StoreWriter::commit() {
  if (!in_txn_) return;
  in_txn_ = false;
  txn_rows_ = 0;
  if (auto s = index_->commit(); !s) {
    // No room (or an I/O error): nothing of the transaction is in the index. Its rows wait
    // for another try; retention is asked to make room.
    (void)index_->rollback();
    ++counters_.commit_failures;
    if (!waiting_)
      spdlog::error("{}: the rows wait in memory and are written again once there is room",
                    s.error().message);
    waiting_ = true;
    for (auto& b : txn_batches_) {
      retry_rows_ += b->rows();
      retry_.push_back(std::move(b));
    }
    txn_batches_.clear();
    while (retry_rows_ > limits_.retry_rows && !retry_.empty()) {
      counters_.rows_dropped += retry_.front()->rows();
      retry_rows_ -= std::min(retry_rows_, retry_.front()->rows());
      retry_.erase(retry_.begin());
      if (first_error_.empty())
        first_error_ = "index: rows dropped after waiting for room: " + s.error().message;
    }
    retry_at_ = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    if (on_disk_full_) on_disk_full_();
    return;
  }
  ++counters_.transactions;
  txn_batches_.clear();
  if (waiting_ && retry_.empty()) {
    waiting_ = false;
    spdlog::warn("index: the rows that waited for room are written");
  }
}

void StoreWriter::retry_due() {
  if (retry_.empty() || in_txn_ || std::chrono::steady_clock::now() < retry_at_) return;
  std::vector<std::unique_ptr<StoreBatch>> again;
  again.swap(retry_);
  const std::size_t rows = retry_rows_;
  retry_rows_ = 0;
  if (auto s = index_->begin(); !s) {
    retry_ = std::move(again);
    retry_rows_ = rows;
    retry_at_ = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    return;
  }
  in_txn_ = true;
  for (auto& b : again) {
    (void)write(*b);  // in the transaction just begun
    txn_batches_.push_back(std::move(b));
  }
  commit();
}

void StoreWriter::run() {
  using Clock = std::chrono::steady_clock;
  auto txn_started = Clock::now();
  Backoff backoff;
  for (;;) {
    const bool stopping = stopping_.load(std::memory_order_acquire);
    bool got = false;
    for (auto& q : queues_) {
      std::unique_ptr<StoreBatch> b;
      while (q->try_pop(b)) {
        if (!in_txn_) txn_started = Clock::now();
        if (write(*b)) {
          txn_batches_.push_back(std::move(b));
        } else {  // not even a transaction: it waits with the others
          retry_rows_ += b->rows();
          retry_.push_back(std::move(b));
        }
        got = true;
        if (txn_rows_ >= limits_.batch_rows) commit();
      }
    }
    if (!in_txn_) retry_due();
    // Few, large transactions: each commit costs WAL writes and, now and then, a checkpoint.
    const bool old =
        in_txn_ && Clock::now() - txn_started >= std::chrono::milliseconds(limits_.batch_max_ms);
    if (old) commit();
    if (got) {
      backoff.reset();
      continue;
    }
    if (stopping) break;
    backoff.wait();
  }
  commit();
  // What waited for room gets ten more seconds (retention may be evicting right now); then it
  // is lost, and said so.
  for (int attempt = 0; attempt < 10 && !retry_.empty(); ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::seconds(1));
    retry_at_ = Clock::now();
    retry_due();
  }
  if (!retry_.empty()) {
    for (const auto& b : retry_) counters_.rows_dropped += b->rows();
    if (!retry_.empty()) {
      spdlog::error("index: {} row(s) could not be written for want of room",
                    counters_.rows_dropped.get());
      if (first_error_.empty()) first_error_ = "index: rows could not be written (no room)";
    }
    retry_.clear();
  }
  // Fresh planner statistics for the searches that follow (approximate, so quick).
  if (auto s = index_->optimize(); !s) spdlog::warn("{}", s.error().message);
}

Status StoreWriter::stop() {
  stopping_.store(true, std::memory_order_release);
  if (thread_.joinable()) thread_.join();
  if (!first_error_.empty()) return make_error("{}", first_error_);
  return {};
}

}  // namespace kagami::recorder
