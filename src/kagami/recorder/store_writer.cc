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

void StoreWriter::write(StoreBatch& b) {
  if (!in_txn_) {
    if (auto s = index_->begin(); !s) {
      ++counters_.errors;
      if (first_error_.empty()) first_error_ = s.error().message;
      spdlog::error("{}", s.error().message);
      return;
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
}

void StoreWriter::commit() {
  if (!in_txn_) return;
  if (auto s = index_->commit(); !s) {
    ++counters_.errors;
    if (first_error_.empty()) first_error_ = s.error().message;
    spdlog::error("{}", s.error().message);
  }
  ++counters_.transactions;
  in_txn_ = false;
  txn_rows_ = 0;
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
        write(*b);
        got = true;
        if (txn_rows_ >= limits_.batch_rows) commit();
      }
    }
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
