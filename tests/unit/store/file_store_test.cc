#include "kagami/store/file_store.h"

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <malloc.h>

#include "kagami/base/sha256.h"
#include "kagami/content/spool.h"

#include "support/temp_dir.h"

namespace kagami::store {
namespace {

std::vector<std::uint8_t> noise(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<std::uint8_t> v(n);
  for (auto& b : v) b = static_cast<std::uint8_t>(rng());
  return v;
}

std::string stored(const FileStore& files, const std::string& sha256) {
  std::FILE* out = std::tmpfile();
  if (out == nullptr || !files.read(sha256, out)) return "(unreadable)";
  std::string s(static_cast<std::size_t>(std::ftell(out)), '\0');
  std::rewind(out);
  const std::size_t n = std::fread(s.data(), 1, s.size(), out);
  std::fclose(out);
  s.resize(n);
  return s;
}

std::size_t heap_in_use() { return mallinfo2().uordblks; }

// Each object, written a packet at a time, comes back as it went in, small or large, whether
// the writers' memory is free or pressed.
TEST(FileStore, ObjectsComeBackWholeWhetherMemoryIsFreeOrPressed) {
  test::TempDir dir;
  for (const std::size_t bound : {std::size_t{64} << 20, std::size_t{0}}) {
    FileStore::Options o;
    o.writer_memory_bytes = bound;
    FileStore files(StoreLayout{dir.path() + "/" + std::to_string(bound)}, o);
    for (const std::size_t size : {0, 100, 70000, 300000}) {
      const auto bytes = noise(size, static_cast<unsigned>(size + bound));
      auto w = files.open();
      for (std::size_t at = 0; at < bytes.size(); at += 1448)
        w->write(ByteView(bytes.data() + at, std::min<std::size_t>(1448, bytes.size() - at)));
      const StoredFile s = w->commit();
      ASSERT_TRUE(s.error.empty()) << s.error;
      EXPECT_EQ(s.size, size);
      EXPECT_EQ(s.sha256, to_hex(Sha256::of(ByteView(bytes.data(), bytes.size()))));
      EXPECT_EQ(stored(files, s.sha256), std::string(bytes.begin(), bytes.end()))
          << size << " bytes, bound " << bound;
    }
    if (bound == 0) {
      EXPECT_GT(files.writer_memory().times_pressed(), 0u);
    }
    EXPECT_EQ(files.writer_memory().held(), 0);  // every writer gave its share back
  }
}

// Thousands of transfers left open (a capture cut off, downloads that stall) must not each keep
// a full block in memory: past the bound, an open writer holds a few KiB.
TEST(FileStore, ManyOpenWritersStayWithinTheBound) {
  test::TempDir dir;
  FileStore::Options o;
  o.writer_memory_bytes = 1u << 20;
  FileStore files(StoreLayout{dir.path()}, o);
  const auto bytes = noise(60000, 7);
  const std::size_t before = heap_in_use();
  std::vector<std::unique_ptr<FileStore::Writer>> open;
  for (int i = 0; i < 400; ++i) {
    open.push_back(files.open());
    for (std::size_t at = 0; at < bytes.size(); at += 1448)
      open.back()->write(
          ByteView(bytes.data() + at, std::min<std::size_t>(1448, bytes.size() - at)));
  }
  const std::size_t grown = heap_in_use() - before;
  // 400 writers of 60 KB each: 24 MB if each kept its block. Within the bound (1 MiB), plus a
  // 4 KiB block, a file and hash contexts each.
  EXPECT_LT(grown, (1u << 20) + 400u * 12u * 1024u) << grown;
  EXPECT_LE(files.writer_memory().held(), static_cast<std::int64_t>((1u << 20) + 400u * 8192u));
  for (auto& w : open) EXPECT_TRUE(w->commit().error.empty());
  open.clear();
  EXPECT_EQ(files.writer_memory().held(), 0);
}

// A mail waiting for its end spills to disk after a few KiB once the memory is pressed, and
// reads back the same.
TEST(FileStore, SpoolsSpillEarlyWhenTheSharedMemoryIsPressed) {
  test::TempDir dir;
  MemoryBudget budget(1024);
  budget.hold(4096);  // others already hold more than the bound
  content::Spool::Options o;
  o.dir = dir.path();
  o.budget = &budget;
  content::Spool spool(o);
  const std::string line(1000, 'x');
  for (int i = 0; i < 15; ++i) spool.write(as_bytes(line));
  EXPECT_TRUE(spool.in_memory());  // 15,000 bytes: under the few KiB any spool may keep
  for (int i = 0; i < 5; ++i) spool.write(as_bytes(line));
  EXPECT_FALSE(spool.in_memory());
  EXPECT_EQ(spool.size(), 20000u);
  EXPECT_EQ(budget.times_pressed(), 1u);
  EXPECT_EQ(budget.held(), 4096);  // the spool's memory went back
  budget.hold(-4096);
}

}  // namespace
}  // namespace kagami::store
