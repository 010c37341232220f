#include <cstdio>
#include <string>

#include <gtest/gtest.h>

#include "kagami/capture/pcap_file_source.h"

#include "support/temp_dir.h"

namespace kagami::capture {
namespace {

void put32be(std::string& s, std::uint32_t v) {
  for (int i = 3; i >= 0; --i) s += static_cast<char>(v >> (8 * i));
}
void put16be(std::string& s, std::uint16_t v) {
  s += static_cast<char>(v >> 8);
  s += static_cast<char>(v);
}

// A classic pcap written by a big-endian host, microsecond resolution, raw IP link type.
std::string big_endian_capture() {
  std::string f;
  put32be(f, 0xa1b2c3d4);
  put16be(f, 2);
  put16be(f, 4);
  put32be(f, 0);
  put32be(f, 0);
  put32be(f, 65535);
  put32be(f, 101);
  for (std::uint32_t i = 0; i < 3; ++i) {
    const std::string data = "frame-" + std::to_string(i);
    put32be(f, 1'700'000'000 + i);
    put32be(f, 250'000);
    put32be(f, static_cast<std::uint32_t>(data.size()));
    put32be(f, 1500);
    f += data;
  }
  return f;
}

std::string write(const test::TempDir& d, const std::string& name, const std::string& bytes) {
  const std::string path = d.path() + "/" + name;
  FILE* f = std::fopen(path.c_str(), "wb");
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
  return path;
}

TEST(PcapFileSource, ReadsBigEndianMicrosecondFiles) {
  test::TempDir dir;
  auto src = PcapFileSource::open(write(dir, "be.pcap", big_endian_capture())).value();
  EXPECT_FALSE(src->uses_libpcap());
  EXPECT_EQ(src->link_type(), 12);  // LINKTYPE_RAW reads back as DLT_RAW, as libpcap does
  RawPacket p;
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(src->next(p), NextStatus::kPacket);
    EXPECT_EQ(as_chars(p.data), "frame-" + std::to_string(i));
    EXPECT_EQ(p.ts, (1'700'000'000LL + i) * kNsPerSec + 250'000'000);
    EXPECT_EQ(p.wire_len, 1500u);
  }
  EXPECT_EQ(src->next(p), NextStatus::kEnd);
}

TEST(PcapFileSource, ReadsFromAPipeAsFromAFile) {
  test::TempDir dir;
  const std::string path = write(dir, "be.pcap", big_endian_capture());
  const std::string fifo = dir.path() + "/pipe";
  FILE* p = popen(("mkfifo " + fifo + " && (cat " + path + " > " + fifo + " &)").c_str(), "r");
  pclose(p);
  auto src = PcapFileSource::open(fifo).value();
  RawPacket r;
  int n = 0;
  while (src->next(r) == NextStatus::kPacket) ++n;
  EXPECT_EQ(n, 3);
}

TEST(PcapFileSource, ResyncsAfterADamagedHeaderAndCountsIt) {
  test::TempDir dir;
  std::string bytes = big_endian_capture();
  bytes[24 + 8] = '\x7f';  // first record: captured length ~2 GB
  auto src = PcapFileSource::open(write(dir, "bad.pcap", bytes)).value();
  RawPacket p;
  ASSERT_EQ(src->next(p), NextStatus::kPacket);
  EXPECT_EQ(as_chars(p.data), "frame-1");
  ASSERT_EQ(src->next(p), NextStatus::kPacket);
  EXPECT_EQ(src->next(p), NextStatus::kEnd);
  EXPECT_EQ(src->stats().resyncs, 1u);
  EXPECT_EQ(src->stats().skipped_bytes, 16u + 7u);
}

TEST(PcapFileSource, TruncatedLastRecordIsAnErrorAfterTheGoodOnes) {
  test::TempDir dir;
  std::string bytes = big_endian_capture();
  bytes.resize(bytes.size() - 3);
  auto src = PcapFileSource::open(write(dir, "cut.pcap", bytes)).value();
  RawPacket p;
  EXPECT_EQ(src->next(p), NextStatus::kPacket);
  EXPECT_EQ(src->next(p), NextStatus::kPacket);
  EXPECT_EQ(src->next(p), NextStatus::kError);
  EXPECT_NE(src->error().find("truncated"), std::string::npos);
}

TEST(PcapFileSource, NotACaptureIsAClearError) {
  test::TempDir dir;
  auto r = PcapFileSource::open(write(dir, "x.pcap", "GIF89a not a capture"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("cannot read"), std::string::npos);
}

}  // namespace
}  // namespace kagami::capture
