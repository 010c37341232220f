#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "kagami/base/result.h"

namespace kagami::recorder {

// What a worker could not take in time, kept in order on disk until it can. When a live
// capture outruns a worker, the capture thread writes that worker's messages here (an unnamed
// file beside the store's index: nothing is left behind, even after a crash) instead of
// dropping them, and the worker reads them once its ring is empty: the analysis lags behind the
// archive instead of missing what the archive holds. Read parts are given back to the file
// system as the worker goes. Past `max_bytes` waiting, messages are dropped (and counted).
// One producer (the capture thread), one consumer (the worker).
class AnalysisBacklog {
 public:
  static Result<std::unique_ptr<AnalysisBacklog>> open(const std::string& dir,
                                                       std::uint64_t max_bytes);
  ~AnalysisBacklog();
  AnalysisBacklog(const AnalysisBacklog&) = delete;
  AnalysisBacklog& operator=(const AnalysisBacklog&) = delete;

  // Producer. While active, every message for the worker goes here, so it reads them in order
  // after what its ring held; once it has read all, the producer ends and uses the ring again.
  bool active() const { return active_; }
  void begin() { active_ = true; }
  void end() { active_ = false; }
  bool drained() const { return read_.load(std::memory_order_acquire) == written_; }
  // Room for a message of `size` bytes, or nullptr past the bound (`always`: a control message,
  // which the bound does not refuse) or when the disk refuses it.
  std::uint8_t* reserve(std::size_t size, bool always = false);
  void commit();
  // Hands what was written to the worker. False if the disk refused it: those messages are
  // lost (counted in lost()).
  bool flush();
  std::uint64_t waiting_bytes() const { return written_ - read_.load(std::memory_order_relaxed); }
  std::uint64_t lost() const { return lost_; }
  // Times the disk could not give back what waited (skipped): any thread.
  std::uint64_t unreadable() const { return unreadable_.load(std::memory_order_relaxed); }
  const std::string& error() const { return error_; }

  // Consumer.
  const std::uint8_t* peek(std::size_t& size);
  void pop();

 private:
  AnalysisBacklog(int fd, std::uint64_t max_bytes);
  static constexpr std::size_t kBufferBytes = 1u << 20;
  static constexpr std::uint64_t kPunchBytes = 16u << 20;  // read parts given back in these

  int fd_;
  std::uint64_t max_bytes_;
  // Producer side.
  bool active_ = false;
  std::unique_ptr<std::uint8_t[]> out_;
  std::size_t out_used_ = 0, out_pending_ = 0;
  std::size_t out_messages_ = 0;
  std::uint64_t written_ = 0;  // committed, flushed or not
  std::uint64_t lost_ = 0;
  std::string error_;
  alignas(64) std::atomic<std::uint64_t> published_{0};  // on disk, readable
  // Consumer side.
  alignas(64) std::atomic<std::uint64_t> read_{0};
  std::unique_ptr<std::uint8_t[]> in_;
  std::size_t in_capacity_ = 0;
  std::uint64_t in_from_ = 0, in_to_ = 0;  // file range held in in_
  std::size_t current_ = 0;                // bytes of the message peek() returned
  std::uint64_t punched_ = 0;
  std::atomic<std::uint64_t> unreadable_{0};
};

}  // namespace kagami::recorder
