#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

namespace kagami {

// Lock-free single-producer single-consumer ring of variable-size messages: the capture thread
// copies each packet into a worker's ring once, and the worker reads it in place. Messages are
// 8-byte aligned and never wrap; a message that does not fit before the end leaves a padding
// record and starts again at the beginning.
class ByteRing {
 public:
  explicit ByteRing(size_t capacity_bytes) {
    size_t cap = 4096;
    while (cap < capacity_bytes) cap <<= 1;
    capacity_ = cap;
    buf_ = std::make_unique<std::uint8_t[]>(cap);
  }
  ByteRing(const ByteRing&) = delete;
  ByteRing& operator=(const ByteRing&) = delete;

  // Largest message that can ever fit.
  size_t max_message() const { return capacity_ / 2 - kHeader; }

  // Producer: room for `size` bytes, or nullptr while the ring is too full.
  std::uint8_t* try_reserve(size_t size) {
    const size_t need = align(size + kHeader);
    const size_t tail = tail_.load(std::memory_order_relaxed);
    const size_t pos = tail & (capacity_ - 1);
    const size_t to_end = capacity_ - pos;
    const size_t total = need <= to_end ? need : to_end + need;
    if (tail + total - head_cache_ > capacity_) {
      head_cache_ = head_.load(std::memory_order_acquire);
      if (tail + total - head_cache_ > capacity_) return nullptr;
    }
    size_t at = pos;
    if (need > to_end) {
      write_header(pos, kPadding);
      pending_skip_ = to_end;
      at = 0;
    } else {
      pending_skip_ = 0;
    }
    write_header(at, static_cast<std::uint32_t>(size));
    pending_ = need;
    return buf_.get() + at + kHeader;
  }
  // Producer: publishes the message reserved last.
  void commit() {
    tail_.store(tail_.load(std::memory_order_relaxed) + pending_skip_ + pending_,
                std::memory_order_release);
  }

  // Consumer: the next message, or nullptr if none is ready.
  const std::uint8_t* peek(size_t& size) {
    for (;;) {
      const size_t head = head_.load(std::memory_order_relaxed);
      if (head == tail_cache_) {
        tail_cache_ = tail_.load(std::memory_order_acquire);
        if (head == tail_cache_) return nullptr;
      }
      const size_t pos = head & (capacity_ - 1);
      std::uint32_t len;
      std::memcpy(&len, buf_.get() + pos, sizeof len);
      if (len == kPadding) {
        head_.store(head + (capacity_ - pos), std::memory_order_release);
        continue;
      }
      size = len;
      current_ = align(len + kHeader);
      return buf_.get() + pos + kHeader;
    }
  }
  // Consumer: releases the message returned by peek().
  void pop() {
    head_.store(head_.load(std::memory_order_relaxed) + current_, std::memory_order_release);
  }

  bool empty() const {
    return head_.load(std::memory_order_acquire) == tail_.load(std::memory_order_acquire);
  }
  // Bytes waiting (padding included): a gauge, read from any thread.
  size_t used_bytes() const {
    return tail_.load(std::memory_order_relaxed) - head_.load(std::memory_order_relaxed);
  }

 private:
  static constexpr size_t kHeader = 8;
  static constexpr std::uint32_t kPadding = 0xffffffffu;
  static size_t align(size_t n) { return (n + 7) & ~size_t{7}; }
  void write_header(size_t pos, std::uint32_t len) { std::memcpy(buf_.get() + pos, &len, 4); }

  std::unique_ptr<std::uint8_t[]> buf_;
  size_t capacity_ = 0;
  alignas(64) std::atomic<size_t> head_{0};
  size_t tail_cache_ = 0;
  size_t current_ = 0;
  alignas(64) std::atomic<size_t> tail_{0};
  size_t head_cache_ = 0;
  size_t pending_ = 0;
  size_t pending_skip_ = 0;
};

}  // namespace kagami
