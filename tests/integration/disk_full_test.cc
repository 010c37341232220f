// A store's disk filling up: a small tmpfs mounted by the test (root only; skipped otherwise)
// is filled on purpose by the recorder itself. What was sealed must stay sealed and verified,
// the analysis must go on, and the archive must come back by itself once there is room.
#include <filesystem>
#include <regex>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include "integration/harness.h"
#include "support/temp_dir.h"

namespace kagami::test {
namespace {

namespace fs = std::filesystem;

const char* const kPython = "/usr/bin/python3";

// "gen FILE MB T0 PORT": incompressible UDP in 500 flows from ports PORT.., 2,000 packets a
// second of capture time from T0. "send PORT FILE MB_PER_S": to a listening recorder, paced.
const char* const kTool = R"(import os, socket, struct, sys, time
if sys.argv[1] == "gen":
    path, mb, t0, port = sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i in range(mb * 1024 * 1024 // 1460):
            body = os.urandom(1400)
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 1428, i & 0xffff, 0, 64, 17, 0,
                             bytes([10, 0, 0, 1]), bytes([10, 0, 1, 2]))
            udp = struct.pack("!HHHH", port + i % 500, 9999, 1408, 0)
            frame = b"\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\x08\x00" + ip + udp + body
            ts = t0 + i * 0.0005
            f.write(struct.pack("<IIII", int(ts), int(round((ts % 1) * 1e6)) % 1000000,
                                len(frame), len(frame)))
            f.write(frame)
else:
    port, path, rate = int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
    data = open(path, "rb").read()
    s = socket.create_connection(("127.0.0.1", port))
    piece = 256 * 1024
    for i in range(0, len(data), piece):
        s.sendall(data[i:i + piece])
        time.sleep(piece / (rate * 1024 * 1024))
    s.close()
)";

// A tmpfs of its own, unmounted at the end whatever happens.
class SmallDisk {
 public:
  SmallDisk(const std::string& dir, const std::string& size) : dir_(dir) {
    fs::create_directories(dir);
    mounted_ = ::mount("tmpfs", dir.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
  }
  ~SmallDisk() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  bool grow(const std::string& size) {
    return ::mount("tmpfs", dir_.c_str(), "tmpfs", MS_REMOUNT, ("size=" + size).c_str()) == 0;
  }

 private:
  std::string dir_;
  bool mounted_ = false;
};

#define SMALL_DISK(disk)                                                  \
  do {                                                                    \
    if (!(disk).mounted()) GTEST_SKIP() << "mounting a tmpfs needs root"; \
  } while (0)

TEST(DiskFull, ALiveRecorderKeepsWhatItSealedAndResumesWhenThereIsRoom) {
  TempDir dir;
  SmallDisk disk(dir.path() + "/m", "6m");
  SMALL_DISK(disk);
  const std::string tool = dir.path() + "/tool.py", store = dir.path() + "/m/s";
  write_file(tool, kTool);
  write_file(dir.path() + "/k.toml", "[archive]\nmax_file_mb = 1\n");
  const double t0 = 1.7e9;
  ASSERT_EQ(run({kPython, tool, "gen", dir.path() + "/a.pcap", "12", std::to_string(t0), "10000"})
                .exit_code,
            0);
  ASSERT_EQ(
      run({kPython, tool, "gen", dir.path() + "/b.pcap", "2", std::to_string(t0 + 100), "20000"})
          .exit_code,
      0);
  ListeningRecorder rec(store, {"--config", dir.path() + "/k.toml"});
  ASSERT_FALSE(rec.port.empty()) << rec.process.err();
  ASSERT_EQ(run({kPython, tool, "send", rec.port, dir.path() + "/a.pcap", "20"}).exit_code, 0);
  ASSERT_TRUE(rec.process.wait_for_stderr("No space left", 10000)) << rec.process.err();

  // Room again (an administrator freed some): the archive comes back by itself.
  ASSERT_TRUE(disk.grow("96m"));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  ASSERT_EQ(run({kPython, tool, "send", rec.port, dir.path() + "/b.pcap", "20"}).exit_code, 0);
  EXPECT_TRUE(rec.process.wait_for_stderr("writing again", 10000)) << rec.process.err();
  rec.process.signal(SIGINT);
  ASSERT_EQ(rec.process.wait(60000), 0) << rec.process.err();
  const std::string err = rec.process.err();

  EXPECT_GE(stats_counter(err, "archive.write_failures"), 1u) << err;
  EXPECT_GT(stats_counter(err, "archive.dropped"), 0u) << err;
  EXPECT_LT(stats_counter(err, "archive.dropped"), ~0ull) << err;
  EXPECT_EQ(stats_counter(err, "store.rows_dropped"), 0u) << err;
  const std::string manifest = read_file(store + "/packets/MANIFEST");
  EXPECT_NE(manifest.find("cut short"), std::string::npos) << manifest;
  const auto v = kagami({"verify", "--store", store});
  EXPECT_EQ(v.exit_code, 0) << v.out;

  // The analysis went on without the archive: every flow of both sendings is a session (the
  // index's rows waited in memory for the room), and the later ones' packets are exportable.
  std::size_t a = 0, b = 0;
  std::uint64_t later = 0;
  for (const auto& s : sessions(store)) {
    const double ts = s["ts_first"].get<double>();
    if (ts < t0 + 50) {
      ++a;
    } else {
      ++b;
      later = s["id"];
    }
  }
  EXPECT_EQ(a, 500u);
  EXPECT_EQ(b, 500u);
  const auto ex = kagami({"export", "--store", store, "--session", std::to_string(later),
                          "--output", dir.path() + "/later.pcap"});
  EXPECT_EQ(ex.exit_code, 0) << ex.err;
}

TEST(DiskFull, RetentionMakesRoomBeforeTheDiskFills) {
  TempDir dir;
  SmallDisk disk(dir.path() + "/m", "16m");
  SMALL_DISK(disk);
  const std::string tool = dir.path() + "/tool.py", store = dir.path() + "/m/s";
  write_file(tool, kTool);
  write_file(dir.path() + "/k.toml", "[archive]\nmax_file_mb = 1\n");
  ASSERT_EQ(run({kPython, tool, "gen", dir.path() + "/a.pcap", "32", "1.7e9", "10000"}).exit_code,
            0);
  ListeningRecorder rec(store, {"--config", dir.path() + "/k.toml", "--retain-free", "7M"});
  ASSERT_FALSE(rec.port.empty()) << rec.process.err();
  // 5 MiB/s: a second of margin per 5 files sealed, on a loaded 2-core machine.
  ASSERT_EQ(run({kPython, tool, "send", rec.port, dir.path() + "/a.pcap", "5"}).exit_code, 0);
  rec.process.signal(SIGINT);
  ASSERT_EQ(rec.process.wait(60000), 0) << rec.process.err();
  const std::string err = rec.process.err();
  EXPECT_GT(stats_counter(err, "retention.files_evicted"), 15u) << err;
  EXPECT_EQ(stats_counter(err, "archive.dropped"), 0u) << err;
  EXPECT_EQ(stats_counter(err, "archive.write_failures"), 0u) << err;
  EXPECT_EQ(stats_counter(err, "store.rows_dropped"), 0u) << err;
  const std::string manifest = read_file(store + "/packets/MANIFEST");
  EXPECT_NE(manifest.find("evicted: free space"), std::string::npos) << manifest;
  EXPECT_EQ(kagami({"verify", "--store", store}).exit_code, 0);
  EXPECT_EQ(sessions(store).size(), 500u);
}

TEST(DiskFull, AnImportThatFindsNoRoomSaysSoAndTheNextRunRecovers) {
  TempDir dir;
  SmallDisk disk(dir.path() + "/m", "4m");
  SMALL_DISK(disk);
  const std::string tool = dir.path() + "/tool.py", store = dir.path() + "/m/s";
  write_file(tool, kTool);
  ASSERT_EQ(run({kPython, tool, "gen", dir.path() + "/a.pcap", "8", "1.7e9", "10000"}).exit_code,
            0);
  const std::string small = corpus_dir() + "/pcap/smtp/zeek-smtp.pcap";
  ASSERT_EQ(kagami({"record", "--quiet", "--store", store, "--read", small}).exit_code, 0);
  const auto full = kagami({"record", "--store", store, "--read", dir.path() + "/a.pcap"});
  EXPECT_NE(full.exit_code, 0);
  EXPECT_NE(full.err.find("No space left"), std::string::npos) << full.err;
  // What was sealed before is intact.
  const auto v = kagami({"verify", "--store", store, "--json"});
  EXPECT_EQ(v.exit_code, 0) << v.out;
  EXPECT_NE(v.out.find("\"00000001.pcap\""), std::string::npos);
  ASSERT_TRUE(disk.grow("64m"));
  const auto again = kagami({"record", "--quiet", "--store", store, "--read", small});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  const auto v2 = kagami({"verify", "--store", store, "--strict"});
  EXPECT_EQ(v2.exit_code, 0) << v2.out;
}

}  // namespace
}  // namespace kagami::test
