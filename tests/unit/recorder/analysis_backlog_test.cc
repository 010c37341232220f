#include "kagami/recorder/analysis_backlog.h"

#include <cstring>
#include <thread>

#include <gtest/gtest.h>

#include "kagami/base/backoff.h"

#include "support/temp_dir.h"

namespace kagami::recorder {
namespace {

// A message: its sequence number, then `size - 8` bytes of it repeated, so a message read
// out of order, torn or from a punched hole shows.
void put(AnalysisBacklog& b, std::uint64_t seq, std::size_t size) {
  std::uint8_t* p = b.reserve(size);
  ASSERT_NE(p, nullptr);
  std::memcpy(p, &seq, 8);
  std::memset(p + 8, static_cast<int>(seq & 0xff), size - 8);
  b.commit();
}

bool check(const std::uint8_t* p, std::size_t size, std::uint64_t seq) {
  std::uint64_t got;
  std::memcpy(&got, p, 8);
  if (got != seq) return false;
  for (std::size_t i = 8; i < size; ++i)
    if (p[i] != static_cast<std::uint8_t>(seq & 0xff)) return false;
  return true;
}

TEST(AnalysisBacklog, MessagesComeBackInOrderOnceFlushed) {
  test::TempDir dir;
  auto b = AnalysisBacklog::open(dir.path(), 1u << 30);
  ASSERT_TRUE(b) << b.error().message;
  AnalysisBacklog& q = **b;
  q.begin();
  for (std::uint64_t i = 0; i < 100; ++i) put(q, i, 8 + i * 13);
  std::size_t size = 0;
  EXPECT_EQ(q.peek(size), nullptr);  // not handed over yet
  EXPECT_FALSE(q.drained());
  ASSERT_TRUE(q.flush());
  for (std::uint64_t i = 0; i < 100; ++i) {
    const std::uint8_t* p = q.peek(size);
    ASSERT_NE(p, nullptr) << i;
    ASSERT_EQ(size, 8 + i * 13);
    EXPECT_TRUE(check(p, size, i)) << i;
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % 8, 0u);  // read in place, aligned
    q.pop();
  }
  EXPECT_EQ(q.peek(size), nullptr);
  EXPECT_TRUE(q.drained());
  EXPECT_EQ(q.waiting_bytes(), 0u);
}

TEST(AnalysisBacklog, TheBoundRefusesAllButControlMessages) {
  test::TempDir dir;
  auto b = AnalysisBacklog::open(dir.path(), 64u << 10);
  ASSERT_TRUE(b);
  AnalysisBacklog& q = **b;
  int taken = 0;
  while (q.reserve(1000) != nullptr) {
    q.commit();
    ++taken;
  }
  EXPECT_EQ(taken, 65);  // 1,008 bytes each on disk: 65,520 of 65,536
  EXPECT_NE(q.reserve(40, /*always=*/true), nullptr);
}

// The capture thread writes while the worker reads, well past the parts given back to the file
// system: every message arrives once, whole and in order.
TEST(AnalysisBacklog, AWriterAndAReaderTogether) {
  test::TempDir dir;
  auto b = AnalysisBacklog::open(dir.path(), 8u << 20);
  ASSERT_TRUE(b);
  AnalysisBacklog& q = **b;
  constexpr std::uint64_t kMessages = 60'000;  // about 40 MiB through an 8 MiB bound
  std::thread reader([&q] {
    Backoff backoff;
    for (std::uint64_t i = 0; i < kMessages;) {
      std::size_t size = 0;
      const std::uint8_t* p = q.peek(size);
      if (p == nullptr) {
        backoff.wait();
        continue;
      }
      backoff.reset();
      ASSERT_TRUE(check(p, size, i)) << i;
      q.pop();
      ++i;
    }
  });
  Backoff backoff;
  for (std::uint64_t i = 0; i < kMessages; ++i) {
    const std::size_t size = 64 + (i * 7919) % 1400;
    std::uint8_t* p;
    while ((p = q.reserve(size)) == nullptr) {  // full: let the reader catch up
      ASSERT_TRUE(q.flush());
      backoff.wait();
    }
    backoff.reset();
    std::memcpy(p, &i, 8);
    std::memset(p + 8, static_cast<int>(i & 0xff), size - 8);
    q.commit();
    if (i % 100 == 0) {
      ASSERT_TRUE(q.flush());
    }
  }
  ASSERT_TRUE(q.flush());
  reader.join();
  EXPECT_TRUE(q.drained());
}

}  // namespace
}  // namespace kagami::recorder
