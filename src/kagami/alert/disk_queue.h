#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kagami/base/result.h"

namespace kagami::alert {

// Events waiting for one sink, on disk: an append-only file of lines and the offset up to
// which they were delivered, so a sink that is down (or a restart) loses nothing. Bounded:
// past `max_bytes` waiting, new events are refused (and counted by the caller); they are
// still in the index.
class DiskQueue {
 public:
  static Result<std::unique_ptr<DiskQueue>> open(const std::string& dir, std::uint64_t max_bytes);
  ~DiskQueue();
  DiskQueue(const DiskQueue&) = delete;
  DiskQueue& operator=(const DiskQueue&) = delete;

  // Appends one event (no newline in it); an error when the queue is full or the disk fails.
  Status push(std::string_view event);
  // Up to `n` events from the head; `bytes` is what pop() takes to remove them.
  Result<std::vector<std::string>> peek(std::size_t n, std::uint64_t& bytes) const;
  Status pop(std::uint64_t bytes);
  std::uint64_t pending_bytes() const { return size_ - cursor_; }
  bool empty() const { return size_ == cursor_; }

 private:
  DiskQueue() = default;
  Status save_cursor();
  std::string dir_;
  int fd_ = -1;
  std::uint64_t size_ = 0, cursor_ = 0, max_bytes_ = 0;
};

}  // namespace kagami::alert
