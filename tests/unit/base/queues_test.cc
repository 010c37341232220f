#include <cstring>
#include <memory>
#include <thread>

#include <gtest/gtest.h>

#include "kagami/base/backoff.h"
#include "kagami/base/byte_ring.h"
#include "kagami/base/spsc_queue.h"

namespace kagami {
namespace {

TEST(SpscQueue, KeepsOrderAcrossThreadsAndRefusesWhenFull) {
  SpscQueue<std::unique_ptr<int>> q(4);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(q.try_push(std::make_unique<int>(i)));
  EXPECT_FALSE(q.try_push(std::make_unique<int>(99)));
  std::unique_ptr<int> v;
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(q.try_pop(v));
    EXPECT_EQ(*v, i);
  }
  EXPECT_FALSE(q.try_pop(v));

  constexpr int kN = 200000;
  std::thread producer([&] {
    Backoff b;
    for (int i = 0; i < kN; ++i) {
      auto p = std::make_unique<int>(i);
      while (!q.try_push(std::move(p))) b.wait();
    }
  });
  int expect = 0;
  Backoff b;
  while (expect < kN) {
    if (q.try_pop(v)) {
      ASSERT_EQ(*v, expect);
      ++expect;
    } else {
      b.wait();
    }
  }
  producer.join();
}

TEST(ByteRing, DeliversVariableSizeMessagesInOrderAcrossWrapAround) {
  ByteRing ring(4096);
  constexpr int kN = 100000;
  std::thread producer([&] {
    Backoff b;
    for (int i = 0; i < kN; ++i) {
      const std::size_t size = 1 + (static_cast<std::size_t>(i) * 37) % 900;
      std::uint8_t* p;
      while ((p = ring.try_reserve(size)) == nullptr) b.wait();
      std::memset(p, i & 0xff, size);
      std::memcpy(p, &i, std::min(size, sizeof i));
      ring.commit();
    }
  });
  Backoff b;
  for (int i = 0; i < kN;) {
    std::size_t size;
    const std::uint8_t* m = ring.peek(size);
    if (m == nullptr) {
      b.wait();
      continue;
    }
    EXPECT_EQ(size, 1 + (static_cast<std::size_t>(i) * 37) % 900);
    if (size >= sizeof i) {
      int got;
      std::memcpy(&got, m, sizeof got);
      EXPECT_EQ(got, i);
    }
    if (size > sizeof i) {
      EXPECT_EQ(m[size - 1], i & 0xff);
    }
    ring.pop();
    ++i;
  }
  producer.join();
  EXPECT_TRUE(ring.empty());
}

TEST(ByteRing, RefusesWhatCannotFitYet) {
  ByteRing ring(4096);
  ASSERT_NE(ring.try_reserve(3000), nullptr);
  ring.commit();
  EXPECT_EQ(ring.try_reserve(2000), nullptr);
  std::size_t size;
  ASSERT_NE(ring.peek(size), nullptr);
  ring.pop();
  EXPECT_NE(ring.try_reserve(2000), nullptr);
}

}  // namespace
}  // namespace kagami
