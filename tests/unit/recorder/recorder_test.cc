#include "kagami/recorder/recorder.h"

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kagami/capture/pcap_file_source.h"
#include "kagami/capture/pcap_reader.h"
#include "kagami/capture/pcap_writer.h"
#include "kagami/store/archive_verify.h"
#include "kagami/store/packet_export.h"
#include "kagami/store/sqlite_index.h"

#include "support/packets.h"
#include "support/temp_dir.h"

namespace kagami::recorder {
namespace {

using namespace kagami::test;

// A capture built in the test: two TCP connections, a DNS exchange, a fragmented UDP
// datagram, an ARP frame and a frame of garbage.
std::vector<Bytes> capture_frames() {
  std::vector<Bytes> f;
  auto conn = [&f](std::uint16_t port, std::string_view req, std::string_view resp) {
    const auto c = "10.0.0.1", s = "10.0.0.2";
    const std::uint32_t cs = 1000 * port, ss = 7000 * port;
    const auto rq = static_cast<std::uint32_t>(req.size()),
               rp = static_cast<std::uint32_t>(resp.size());
    f.push_back(tcp4(c, port, s, 80, cs, 0, kSyn));
    f.push_back(tcp4(s, 80, c, port, ss, cs + 1, kSyn | kAck));
    f.push_back(tcp4(c, port, s, 80, cs + 1, ss + 1, kAck | kPsh, req));
    f.push_back(tcp4(s, 80, c, port, ss + 1, cs + 1 + rq, kAck | kPsh, resp));
    f.push_back(tcp4(c, port, s, 80, cs + 1 + rq, ss + 1 + rp, kAck | kFin));
    f.push_back(tcp4(s, 80, c, port, ss + 1 + rp, cs + 2 + rq, kAck | kFin));
    f.push_back(tcp4(c, port, s, 80, cs + 2 + rq, ss + 2 + rp, kAck));
  };
  conn(40001, "GET /a HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK\r\n\r\nA");
  f.push_back(eth(ipv4(ip("10.0.0.1"), ip("10.0.0.53"), 17, udp(5353, 53, "question"))));
  f.push_back(eth(ipv4(ip("10.0.0.53"), ip("10.0.0.1"), 17, udp(53, 5353, "answer"))));
  conn(40002, "GET /b HTTP/1.1\r\n\r\n", "HTTP/1.1 404 Not Found\r\n\r\n");
  const Bytes big = udp(7000, 9000, std::string(3000, 'f'));
  for (std::uint32_t off = 0; off < big.size(); off += 1480) {
    const std::uint32_t len =
        std::min<std::uint32_t>(1480, static_cast<std::uint32_t>(big.size()) - off);
    const Bytes piece(big.begin() + off, big.begin() + off + len);
    f.push_back(
        eth(ipv4(ip("10.0.0.7"), ip("10.0.0.8"), 17, piece, 99, off, off + len < big.size())));
  }
  f.push_back(ethernet(0x0806, Bytes(28, 1)));    // ARP: archived, not a session
  f.push_back(ethernet(0x0800, Bytes(7, 0x45)));  // garbage: archived, counted
  return f;
}

std::string write_capture(const std::string& dir) {
  const std::string path = dir + "/input.pcap";
  auto w = capture::PcapWriter::create(path, 1, 65535, 1 << 16).value();
  TimeNs t = 1'700'000'000 * kNsPerSec;
  for (const Bytes& frame : capture_frames()) {
    (void)w->write(t, ByteView(frame.data(), frame.size()),
                   static_cast<std::uint32_t>(frame.size()));
    t += kNsPerMs;
  }
  (void)w->close();
  return path;
}

class RecorderTest : public ::testing::TestWithParam<unsigned> {};

TEST_P(RecorderTest, RecordsArchivesIndexesAndExports) {
  test::TempDir dir;
  const std::string input = write_capture(dir.path());
  RecorderConfig cfg;
  cfg.sensor = "unit";
  cfg.store_dir = dir.path() + "/store";
  cfg.workers = GetParam();
  {
    auto rec = Recorder::open(cfg);
    ASSERT_TRUE(rec.ok()) << rec.error().message;
    auto src = capture::PcapFileSource::open(input).value();
    ASSERT_TRUE(rec.value()->run(*src).ok());
    ASSERT_TRUE(rec.value()->finish().ok());
    const auto& c = rec.value()->capture_counters();
    EXPECT_EQ(c.packets.get(), capture_frames().size());
    EXPECT_EQ(c.not_ip.get(), 1u);
    EXPECT_EQ(c.undecodable.get(), 1u);
    // Records are counted per declared type where they are handed on, whatever the workers.
    const auto all = rec.value()->counters();
    std::map<std::string, std::uint64_t> counted(all.begin(), all.end());
    EXPECT_EQ(counted["analyzer.records.http"], 2u);
    EXPECT_EQ(counted["analyzer.records.ftp"], 0u);
    EXPECT_EQ(counted.count("analyzer.records.mail"), 1u);
  }

  store::StoreLayout layout{cfg.store_dir};
  auto index =
      store::SqliteIndex::open(layout.index_path(), store::SqliteIndex::Mode::kReadOnly).value();
  std::vector<records::SessionRecord> sessions;
  ASSERT_TRUE(index
                  ->query_sessions(store::SessionQuery{},
                                   [&](const records::SessionRecord& r) {
                                     sessions.push_back(r);
                                     return true;
                                   })
                  .ok());
  ASSERT_EQ(sessions.size(), 4u);
  std::map<std::uint16_t, records::SessionRecord> by_port;
  for (const auto& s : sessions) by_port[s.server_port] = s;
  // Two TCP sessions to port 80 share the key "server port 80": look them up by client port.
  int tcp = 0;
  for (const auto& s : sessions) {
    if (s.transport != 6) continue;
    ++tcp;
    EXPECT_EQ(s.sensor, "unit");
    EXPECT_EQ(s.client_ip.to_string(), "10.0.0.1");
    EXPECT_EQ(s.pkts_c2s, 4u);
    EXPECT_EQ(s.pkts_s2c, 3u);
    EXPECT_EQ(s.stream_bytes_c2s, 19u);
    EXPECT_EQ(s.end_reason, "fin");
    EXPECT_EQ(s.client_mac, kClientMac);
    EXPECT_EQ(s.flags, 0u);
    EXPECT_EQ(s.packets_archived, 7u);
  }
  EXPECT_EQ(tcp, 2);
  EXPECT_EQ(by_port[53].client_port, 5353);
  EXPECT_EQ(by_port[53].bytes_s2c, 6u);
  const auto& frag = by_port[9000];
  EXPECT_EQ(frag.pkts_c2s, 1u);          // one datagram...
  EXPECT_EQ(frag.packets_archived, 3u);  // ...in three archived fragments
  EXPECT_TRUE(frag.flags & records::kSessionFragmented);

  // Export one session: exactly its packets, readable by libpcap.
  const std::string out = dir.path() + "/one.pcap";
  auto locs = index->session_locations(frag.id).value();
  auto exported = store::export_packets(layout, *index, locs, out);
  ASSERT_TRUE(exported.ok()) << exported.error().message;
  EXPECT_EQ(exported->packets, 3u);
  auto src = capture::PcapFileSource::open(out).value();
  capture::RawPacket raw;
  int n = 0;
  while (src->next(raw) == capture::NextStatus::kPacket) ++n;
  EXPECT_EQ(n, 3);

  // Every frame, the ARP and the garbage included, is in the sealed archive.
  auto report = store::verify_archive(layout).value();
  EXPECT_TRUE(report.ok());
  ASSERT_EQ(report.files.size(), 1u);
  EXPECT_EQ(report.files[0].packets, capture_frames().size());
}

INSTANTIATE_TEST_SUITE_P(Workers, RecorderTest, ::testing::Values(0u, 1u, 3u));

TEST(Recorder, SecondRecorderOnTheSameStoreIsRefused) {
  test::TempDir dir;
  RecorderConfig cfg;
  cfg.store_dir = dir.path() + "/store";
  auto first = Recorder::open(cfg);
  ASSERT_TRUE(first.ok());
  auto second = Recorder::open(cfg);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("in use"), std::string::npos);
  ASSERT_TRUE(first.value()->finish().ok());
}

TEST(Recorder, ResumedStoreContinuesIdsAndRecoversAnUnsealedFile) {
  test::TempDir dir;
  const std::string input = write_capture(dir.path());
  RecorderConfig cfg;
  cfg.store_dir = dir.path() + "/store";
  cfg.workers = 0;
  for (int run = 0; run < 2; ++run) {
    auto rec = Recorder::open(cfg).value();
    auto src = capture::PcapFileSource::open(input).value();
    ASSERT_TRUE(rec->run(*src).ok());
    ASSERT_TRUE(rec->finish().ok());
  }
  // A file left open by a recorder that died: a partial record at its end.
  {
    auto w = capture::PcapWriter::create(cfg.store_dir + "/packets/00000003.pcap", 1, 65535, 4096)
                 .value();
    (void)w->write(5, as_bytes("whole packet"), 12);
    (void)w->close();
    FILE* f = fopen((cfg.store_dir + "/packets/00000003.pcap").c_str(), "ab");
    fwrite("\x01\x02\x03", 1, 3, f);
    fclose(f);
  }
  store::StoreLayout layout{cfg.store_dir};
  auto before = store::verify_archive(layout).value();
  EXPECT_TRUE(before.ok());  // unsealed is not a failure...
  EXPECT_EQ(before.files.back().status, store::FileCheck::Status::kUnsealed);  // ...but it shows
  {
    auto rec = Recorder::open(cfg).value();
    ASSERT_TRUE(rec->finish().ok());
  }
  auto after = store::verify_archive(layout).value();
  EXPECT_TRUE(after.ok());
  EXPECT_EQ(after.sealed_ok, 3u);
  auto index =
      store::SqliteIndex::open(layout.index_path(), store::SqliteIndex::Mode::kReadOnly).value();
  std::set<std::uint64_t> ids;
  ASSERT_TRUE(index
                  ->query_sessions(store::SessionQuery{},
                                   [&](const records::SessionRecord& r) {
                                     ids.insert(r.id);
                                     return true;
                                   })
                  .ok());
  EXPECT_EQ(ids.size(), 8u);  // two runs of four sessions, no id reused
}

}  // namespace
}  // namespace kagami::recorder
