#pragma once

#include <atomic>
#include <cstdint>

namespace kagami {

// Memory that many small holders share a bound on (open object writers, mail spools): each
// reports what it holds as it grows and frees it, and past the bound they take the thrifty way
// (write through to disk). One relaxed atomic per change in capacity, not per byte.
class MemoryBudget {
 public:
  explicit MemoryBudget(std::uint64_t bound) : bound_(bound) {}
  MemoryBudget(const MemoryBudget&) = delete;
  MemoryBudget& operator=(const MemoryBudget&) = delete;

  void hold(std::int64_t delta) { held_.fetch_add(delta, std::memory_order_relaxed); }
  bool pressed() const {
    return held_.load(std::memory_order_relaxed) > static_cast<std::int64_t>(bound_);
  }
  std::int64_t held() const { return held_.load(std::memory_order_relaxed); }
  std::uint64_t bound() const { return bound_; }
  // Times a holder went the thrifty way because the bound was reached.
  void count_pressed() { pressed_.fetch_add(1, std::memory_order_relaxed); }
  std::uint64_t times_pressed() const { return pressed_.load(std::memory_order_relaxed); }

  // A holder's share, moved to what it holds now.
  class Share {
   public:
    explicit Share(MemoryBudget* budget) : budget_(budget) {}
    ~Share() { set(0); }
    Share(const Share&) = delete;
    Share& operator=(const Share&) = delete;
    void set(std::uint64_t bytes) {
      if (budget_ == nullptr || bytes == held_) return;
      budget_->hold(static_cast<std::int64_t>(bytes) - static_cast<std::int64_t>(held_));
      held_ = bytes;
    }
    bool pressed() const { return budget_ != nullptr && budget_->pressed(); }
    void count_pressed() {
      if (budget_ != nullptr) budget_->count_pressed();
    }

   private:
    MemoryBudget* budget_;
    std::uint64_t held_ = 0;
  };

 private:
  std::uint64_t bound_;
  std::atomic<std::int64_t> held_{0};
  std::atomic<std::uint64_t> pressed_{0};
};

}  // namespace kagami
