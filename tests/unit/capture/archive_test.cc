#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kagami/base/sha256.h"
#include "kagami/capture/packet_archive.h"
#include "kagami/capture/pcap_file_source.h"
#include "kagami/capture/pcap_reader.h"
#include "kagami/capture/pcap_writer.h"

#include "support/temp_dir.h"

namespace kagami::capture {
namespace {

class Listener : public ArchiveListener {
 public:
  void on_archive_opened(const ArchiveFileInfo& f) override { opened.push_back(f); }
  Status on_archive_sealed(const ArchiveFileInfo& f) override {
    sealed.push_back(f);
    return {};
  }
  std::vector<ArchiveFileInfo> opened, sealed;
};

const std::string kFrame(100, 'p');

TEST(PcapWriter, RecordsReadBackByOffsetAndThroughLibpcap) {
  test::TempDir dir;
  const std::string path = dir.path() + "/a.pcap";
  auto w = PcapWriter::create(path, 1, 262144, 4096).value();
  std::vector<std::uint64_t> offsets;
  for (int i = 0; i < 50; ++i) {
    const std::string data = "packet-" + std::to_string(i);
    offsets.push_back(w->write(1'700'000'000'000'000'000 + i * 1001, as_bytes(data), 1500));
  }
  const Sha256Digest digest = w->close().value();
  EXPECT_EQ(digest, sha256_file(path).value());

  auto r = PcapRecordReader::open(path).value();
  EXPECT_EQ(r->linktype(), 1);
  auto rec = r->read_at(offsets[37]).value();
  EXPECT_EQ(as_chars(rec.data), "packet-37");
  EXPECT_EQ(rec.wire_len, 1500u);
  EXPECT_EQ(rec.ts, 1'700'000'000'000'000'000 + 37 * 1001);  // nanoseconds survive
  EXPECT_FALSE(r->read_at(offsets[37] + 3).ok() && r->read_at(r->file_size()).ok());

  auto src = PcapFileSource::open(path).value();
  RawPacket raw;
  int n = 0;
  while (src->next(raw) == NextStatus::kPacket) {
    EXPECT_EQ(raw.ts, 1'700'000'000'000'000'000 + n * 1001);
    ++n;
  }
  EXPECT_EQ(n, 50);
}

TEST(PcapWriter, NeverOverwritesUnlessAsked) {
  test::TempDir dir;
  const std::string path = dir.path() + "/a.pcap";
  ASSERT_TRUE(PcapWriter::create(path, 1, 65535, 4096).ok());
  EXPECT_FALSE(PcapWriter::create(path, 1, 65535, 4096).ok());
  EXPECT_TRUE(PcapWriter::create(path, 1, 65535, 4096, true).ok());
}

TEST(ScanPcapFile, KeepsCompleteRecordsAndCutsAPartialTail) {
  test::TempDir dir;
  const std::string path = dir.path() + "/crashed.pcap";
  {
    auto w = PcapWriter::create(path, 1, 262144, 1 << 20).value();
    for (int i = 0; i < 10; ++i) (void)w->write(i, as_bytes(kFrame), 100);
    (void)w->close();
  }
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  ASSERT_EQ(::truncate(path.c_str(), st.st_size - 30), 0);  // the crash cut the last record
  auto scan = scan_pcap_file(path, true).value();
  EXPECT_EQ(scan.packets, 9u);
  EXPECT_EQ(scan.cut_bytes, 116u - 30u);
  EXPECT_EQ(scan.file_bytes, 24u + 9u * 116u);
  EXPECT_EQ(scan.sha256, sha256_file(path).value());
}

TEST(ScanPcapFile, RejectsWhatIsNotPcap) {
  test::TempDir dir;
  const std::string path = dir.path() + "/junk.pcap";
  FILE* f = fopen(path.c_str(), "wb");
  fputs("this is not a capture file at all", f);
  fclose(f);
  auto scan = scan_pcap_file(path, false);
  ASSERT_FALSE(scan.ok());
  EXPECT_NE(scan.error().message.find("not a classic pcap"), std::string::npos);
}

TEST(PacketArchive, RotatesBySizeAndSealsEachFile) {
  test::TempDir dir;
  Listener l;
  ArchiveLimits limits;
  limits.max_file_bytes = 24 + 5 * 116;  // five records a file
  PacketArchive a(dir.path(), limits, 7, l);
  std::vector<PacketLocation> locs;
  for (int i = 0; i < 12; ++i) locs.push_back(a.write(1, 262144, i, as_bytes(kFrame), 100).value());
  ASSERT_TRUE(a.close().ok());
  ASSERT_EQ(l.sealed.size(), 3u);
  EXPECT_EQ(l.opened.size(), 3u);
  EXPECT_EQ(l.sealed[0].file_id, 7u);
  EXPECT_EQ(l.sealed[0].name, "00000007.pcap");
  EXPECT_EQ(l.sealed[0].packets, 5u);
  EXPECT_EQ(l.sealed[2].packets, 2u);
  EXPECT_EQ(locs[5].file_id, 8u);
  EXPECT_EQ(locs[5].offset, 24u);
  for (const auto& f : l.sealed)
    EXPECT_EQ(f.sha256, sha256_file(dir.path() + "/" + f.name).value()) << f.name;
}

TEST(PacketArchive, RotatesByPacketTimeAndByLinkType) {
  test::TempDir dir;
  Listener l;
  ArchiveLimits limits;
  limits.max_file_duration_ns = 60 * kNsPerSec;
  PacketArchive a(dir.path(), limits, 1, l);
  (void)a.write(1, 65535, 0, as_bytes(kFrame), 100);
  (void)a.write(1, 65535, 59 * kNsPerSec, as_bytes(kFrame), 100);
  (void)a.write(1, 65535, 60 * kNsPerSec, as_bytes(kFrame), 100);    // a new minute: new file
  (void)a.write(113, 65535, 61 * kNsPerSec, as_bytes(kFrame), 100);  // Linux cooked: new file
  ASSERT_TRUE(a.close().ok());
  ASSERT_EQ(l.sealed.size(), 3u);
  EXPECT_EQ(l.sealed[0].packets, 2u);
  EXPECT_EQ(l.sealed[2].linktype, 113);
  EXPECT_EQ(l.sealed[0].first_ts, 0);
  EXPECT_EQ(l.sealed[0].last_ts, 59 * kNsPerSec);
}

TEST(PacketArchive, RawIpIsWrittenWithItsLinktypeNumber) {
  test::TempDir dir;
  Listener l;
  PacketArchive a(dir.path(), ArchiveLimits{}, 1, l);
  (void)a.write(12 /* DLT_RAW */, 65535, 0, as_bytes(kFrame), 100);
  ASSERT_TRUE(a.close().ok());
  EXPECT_EQ(l.sealed[0].linktype, 101);  // LINKTYPE_RAW in the file header
  EXPECT_EQ(PcapRecordReader::open(dir.path() + "/00000001.pcap").value()->linktype(), 101);
}

}  // namespace
}  // namespace kagami::capture
