// Every link type and file format a recorder meets, and what bad input gets.
#include <cstring>
#include <random>
#include <sstream>

#include <gtest/gtest.h>

#include "kagami/capture/pcap_file_source.h"
#include "kagami/capture/pcap_writer.h"

#include "integration/harness.h"
#include "support/temp_dir.h"

namespace kagami::test {
namespace {

const std::string kTrace = "http/zeek-bro.org.pcap";  // plain Ethernet, 13 TCP connections

struct Frame {
  TimeNs ts;
  std::string bytes;
  std::uint32_t wire_len;
};

std::vector<Frame> read_frames(const std::string& path) {
  std::vector<Frame> out;
  auto src = capture::PcapFileSource::open(path).value();
  capture::RawPacket raw;
  while (src->next(raw) == capture::NextStatus::kPacket)
    out.push_back({raw.ts, std::string(as_chars(raw.data)), raw.wire_len});
  return out;
}

void write_frames(const std::string& path, int linktype, const std::vector<Frame>& frames) {
  auto w = capture::PcapWriter::create(path, linktype, 262144, 1 << 20, true).value();
  for (const auto& f : frames) (void)w->write(f.ts, as_bytes(f.bytes), f.wire_len);
  ASSERT_TRUE(w->close().ok());
}

// Replaces each frame's 14-byte Ethernet header by `header(ethernet_header)`.
template <typename F>
std::vector<Frame> relink(const std::vector<Frame>& in, F header) {
  std::vector<Frame> out;
  for (const auto& f : in) {
    const std::string eth = f.bytes.substr(0, 14);
    std::string h = header(eth);
    out.push_back(
        {f.ts, h + f.bytes.substr(14), static_cast<std::uint32_t>(f.wire_len - 14 + h.size())});
  }
  return out;
}

std::string summary(const std::string& store) {
  std::ostringstream o;
  for (const auto& s : sessions(store))
    o << s["transport"] << " " << s["client_ip"] << ":" << s["client_port"] << " " << s["server_ip"]
      << ":" << s["server_port"] << " " << s["pkts_c2s"] << "/" << s["bytes_c2s"] << " "
      << s["pkts_s2c"] << "/" << s["bytes_s2c"] << " " << s["stream_bytes_c2s"] << "/"
      << s["stream_bytes_s2c"] << "\n";
  return o.str();
}

std::string record(const std::string& input, const std::string& store) {
  const auto r = kagami({"record", "-q", "--read", input, "--store", store});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return summary(store);
}

TEST(LinkTypes, EveryLinkTypeGivesTheSameSessions) {
  TempDir dir;
  const std::string original = corpus_dir() + "/pcap/" + kTrace;
  const std::string baseline = record(original, dir.path() + "/ethernet");
  ASSERT_FALSE(baseline.empty());
  const auto frames = read_frames(original);

  const struct {
    const char* name;
    int linktype;
    std::function<std::string(const std::string&)> header;
  } variants[] = {
      {"linux-sll", 113,
       [](const std::string& e) {
         return std::string("\0\0\0\1\0\6", 6) + e.substr(6, 6) + std::string("\0\0", 2) +
                e.substr(12, 2);
       }},
      {"linux-sll2", 276,
       [](const std::string& e) {
         return e.substr(12, 2) + std::string("\0\0\0\0\0\2\0\1\0\6", 10) + e.substr(6, 6) +
                std::string("\0\0", 2);
       }},
      {"raw", 101, [](const std::string&) { return std::string(); }},
      {"bsd-null", 0, [](const std::string&) { return std::string("\2\0\0\0", 4); }},
      {"vlan", 1,
       [](const std::string& e) {
         return e.substr(0, 12) + std::string("\x81\x00\x00\x64", 4) + e.substr(12, 2);
       }},
  };
  for (const auto& v : variants) {
    SCOPED_TRACE(v.name);
    const std::string path = dir.path() + "/" + v.name + ".pcap";
    write_frames(path, v.linktype, relink(frames, v.header));
    EXPECT_EQ(record(path, dir.path() + "/" + v.name), baseline);
  }
}

TEST(LinkTypes, PcapngReadsLikePcap) {
  if (!have_program("editcap")) GTEST_SKIP() << "editcap (wireshark-common) not installed";
  TempDir dir;
  const std::string original = corpus_dir() + "/pcap/" + kTrace;
  const std::string ng = dir.path() + "/trace.pcapng";
  ASSERT_EQ(run({"editcap", "-F", "pcapng", original, ng}).exit_code, 0);
  EXPECT_EQ(record(ng, dir.path() + "/ng"), record(original, dir.path() + "/classic"));
}

TEST(BadInput, MissingOrUnreadableFilesAreClearErrors) {
  TempDir dir;
  write_file(dir.path() + "/junk.pcap", "this is certainly not a capture file");
  for (const std::string& input : {dir.path() + "/missing.pcap", dir.path() + "/junk.pcap"}) {
    const auto r = kagami({"record", "-q", "--read", input, "--store", dir.path() + "/s"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("cannot read " + input), std::string::npos) << r.err;
  }
}

TEST(BadInput, OneBadFileDoesNotStopTheOthers) {
  TempDir dir;
  write_file(dir.path() + "/junk.pcap", "junk");
  const auto r = kagami({"record", "-q", "--read", dir.path() + "/junk.pcap",
                         corpus_dir() + "/pcap/" + kTrace, "--store", dir.path() + "/s"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(summary(dir.path() + "/s"),
            record(corpus_dir() + "/pcap/" + kTrace, dir.path() + "/t"));
}

std::uint64_t counter(const std::string& stderr_text, const std::string& name) {
  std::istringstream in(stderr_text);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(name + " ", 0) == 0) return std::stoull(line.substr(name.size() + 1));
  return ~0ull;
}

TEST(BadInput, TruncatedFileKeepsEverythingBeforeTheCut) {
  TempDir dir;
  std::string bytes = read_file(corpus_dir() + "/pcap/" + kTrace);
  const std::size_t total = read_frames(corpus_dir() + "/pcap/" + kTrace).size();
  bytes.resize(bytes.size() - 10);  // the last record is cut short
  write_file(dir.path() + "/cut.pcap", bytes);
  const auto r = kagami(
      {"record", "--stats", "--read", dir.path() + "/cut.pcap", "--store", dir.path() + "/s"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("truncated"), std::string::npos) << r.err;
  EXPECT_EQ(counter(r.err, "archive.packets"), total - 1);
  EXPECT_EQ(counter(r.err, "capture.source_errors"), 1u);
}

TEST(BadInput, DamagedRecordHeaderIsSkippedAndTheRestRecovered) {
  // libpcap gives up on the rest of a file at the first damaged record header; Kagami finds
  // the next valid record and goes on, counting what it skipped.
  TempDir dir;
  const std::string original = corpus_dir() + "/pcap/" + kTrace;
  const auto frames = read_frames(original);
  std::string bytes = read_file(original);
  std::size_t pos = 24;  // walk to record 100
  for (int i = 0; i < 100; ++i) {
    std::uint32_t caplen;
    std::memcpy(&caplen, bytes.data() + pos + 8, 4);
    pos += 16 + caplen;
  }
  const std::uint32_t absurd = 0x7fffffff;
  std::memcpy(bytes.data() + pos + 8, &absurd, 4);
  write_file(dir.path() + "/damaged.pcap", bytes);
  const auto r = kagami(
      {"record", "--stats", "--read", dir.path() + "/damaged.pcap", "--store", dir.path() + "/s"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("1 damaged record header(s)"), std::string::npos) << r.err;
  EXPECT_EQ(counter(r.err, "source.resyncs"), 1u);
  EXPECT_EQ(counter(r.err, "archive.packets"), frames.size() - 1);  // only the damaged one lost
  EXPECT_EQ(counter(r.err, "source.skipped_bytes"), 16u + frames[100].bytes.size());
  // The part before the damage is archived verbatim, the rest frame by frame; both sealed.
  const auto v = kagami({"verify", "--store", dir.path() + "/s", "--strict"});
  EXPECT_EQ(v.exit_code, 0) << v.out;
  EXPECT_NE(v.out.find("OK: 2 sealed file(s) verified"), std::string::npos) << v.out;
  const auto all = sessions(dir.path() + "/s");
  ASSERT_FALSE(all.empty());
  const auto e = kagami({"export", "--store", dir.path() + "/s", "--ip", "0.0.0.0/0", "-o",
                         dir.path() + "/all.pcap"});
  EXPECT_EQ(e.exit_code, 0) << e.err;
}

TEST(BadInput, UnknownLinkTypeIsArchivedNotAnalysed) {
  TempDir dir;
  auto frames = read_frames(corpus_dir() + "/pcap/" + kTrace);
  write_frames(dir.path() + "/user0.pcap", 147 /* LINKTYPE_USER0 */, frames);
  const auto r = kagami(
      {"record", "--stats", "--read", dir.path() + "/user0.pcap", "--store", dir.path() + "/s"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("not decoded"), std::string::npos) << r.err;
  EXPECT_EQ(counter(r.err, "archive.packets"), frames.size());
  EXPECT_EQ(counter(r.err, "capture.undecodable"), frames.size());
  EXPECT_TRUE(sessions(dir.path() + "/s").empty());
  EXPECT_EQ(kagami({"verify", "--store", dir.path() + "/s"}).exit_code, 0);
}

TEST(BadInput, RandomFramesNeverCrashAndAreAllArchived) {
  TempDir dir;
  std::mt19937 rng(20261127);
  std::vector<Frame> frames;
  // Valid-looking Ethernet/IPv4/TCP starts with random tails, lengths and flags.
  const auto base = read_frames(corpus_dir() + "/pcap/" + kTrace);
  for (int i = 0; i < 5000; ++i) {
    std::string b = base[static_cast<std::size_t>(i) % base.size()].bytes;
    const int edits = 1 + static_cast<int>(rng() % 8);
    for (int k = 0; k < edits; ++k) b[rng() % b.size()] = static_cast<char>(rng());
    b.resize(std::min<std::size_t>(b.size(), 1 + rng() % (b.size() + 20)),
             static_cast<char>(rng()));
    frames.push_back({static_cast<TimeNs>(i) * kNsPerMs, b,
                      static_cast<std::uint32_t>(b.size() + (rng() % 3 ? 0 : rng() % 1000))});
  }
  write_frames(dir.path() + "/fuzzed.pcap", 1, frames);
  const auto r = kagami(
      {"record", "--stats", "--read", dir.path() + "/fuzzed.pcap", "--store", dir.path() + "/s"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(counter(r.err, "archive.packets"), frames.size());
  EXPECT_EQ(counter(r.err, "capture.packets"), frames.size());
  EXPECT_EQ(counter(r.err, "capture.decoded") + counter(r.err, "capture.not_ip") +
                counter(r.err, "capture.undecodable"),
            frames.size());
  EXPECT_EQ(kagami({"verify", "--store", dir.path() + "/s"}).exit_code, 0);
}

}  // namespace
}  // namespace kagami::test
