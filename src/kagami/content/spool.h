#pragma once

#include <cstdint>
#include <string>

#include "kagami/base/byte_view.h"
#include "kagami/base/memory_budget.h"
#include "kagami/base/result.h"
#include "kagami/content/byte_sink.h"

namespace kagami::content {

// Bytes that must be read again once they are all there (a mail message waits for its end
// before MIME parsing): held in memory up to `memory_bytes`, then moved to an unnamed file in
// `dir` (O_TMPFILE: nothing to clean up, even after a crash). Without a directory, or when
// the file cannot be made, bytes beyond the memory bound are counted and dropped.
class Spool final : public ByteSink {
 public:
  struct Options {
    std::string dir;                        // where to spill; empty: memory only
    std::size_t memory_bytes = 1u << 20;    // kept in memory before spilling
    std::uint64_t max_bytes = 64ull << 20;  // kept at all
    // Shared with other holders: when it is pressed, bytes beyond a few KiB spill at once.
    MemoryBudget* budget = nullptr;
  };
  static constexpr std::size_t kPressedMemoryBytes = 16u << 10;

  explicit Spool(Options options);
  ~Spool() override;
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  void write(ByteView bytes) override;

  std::uint64_t size() const { return size_; }        // bytes kept
  std::uint64_t dropped() const { return dropped_; }  // bytes beyond a bound
  bool in_memory() const { return fd_ < 0; }
  std::string_view memory() const { return memory_; }  // when in_memory()
  // The file holding the bytes (when !in_memory()); still owned by the spool.
  int fd() const { return fd_; }
  // Why spilling failed, if it did.
  const std::string& error() const { return error_; }

 private:
  bool spill();

  Options options_;
  std::string memory_;
  MemoryBudget::Share share_;  // memory_'s capacity, in options_.budget
  int fd_ = -1;
  std::uint64_t size_ = 0, dropped_ = 0;
  std::string error_;
};

}  // namespace kagami::content
