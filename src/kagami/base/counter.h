#pragma once

#include <atomic>
#include <cstdint>

namespace kagami {

// A counter written by exactly one thread and read by any (stats printers, SIGUSR1).
// The owner's relaxed load+store compiles to a plain add: no locked instruction per packet.
class Counter {
 public:
  void add(std::uint64_t n = 1) {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void set(std::uint64_t n) { value_.store(n, std::memory_order_relaxed); }
  std::uint64_t get() const { return value_.load(std::memory_order_relaxed); }
  Counter& operator++() {
    add(1);
    return *this;
  }
  Counter& operator+=(std::uint64_t n) {
    add(n);
    return *this;
  }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// A gauge many threads may move (memory budgets shared between threads).
class SharedGauge {
 public:
  void add(std::int64_t n) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::int64_t get() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

}  // namespace kagami
