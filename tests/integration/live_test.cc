// Live capture on the loopback interface with real sockets, and a recorder killed mid-write.
#include <thread>

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kagami/capture/pcap_file_source.h"
#include "kagami/capture/pcap_writer.h"

#include "integration/harness.h"
#include "support/temp_dir.h"

namespace kagami::test {
namespace {

std::string pattern(std::size_t n, char seed) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i)
    s[i] = static_cast<char>(seed + static_cast<char>(i * 7 % 251));
  return s;
}

bool send_all(int fd, const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

std::string recv_all(int fd) {
  std::string out;
  char buf[65536];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<std::size_t>(n));
  return out;
}

TEST(LiveCapture, RecordsLoopbackTrafficUntilSigint) {
  TempDir dir;
  const std::string store = dir.path() + "/store";
  // A listening socket on an ephemeral loopback port.
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 4), 0);
  socklen_t len = sizeof addr;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);

  Background rec({KAGAMI_BINARY, "record", "--interface", "lo", "--filter",
                  "tcp port " + std::to_string(port), "--store", store, "--sensor", "lo-test"});
  if (!rec.wait_for_stderr("recording lo", 10000)) {
    rec.wait(5000);
    if (rec.err().find("ermission") != std::string::npos ||
        rec.err().find("not permitted") != std::string::npos)
      GTEST_SKIP() << "live capture needs CAP_NET_RAW: " << rec.err();
    FAIL() << "recorder did not start: " << rec.err();
  }

  // A real TCP exchange: the client sends its request and half-closes, the server answers and
  // closes.
  const std::string request = pattern(100000, 'a'), response = pattern(50000, 'Z');
  std::string server_got, client_got;
  std::thread server([&] {
    const int c = ::accept(listener, nullptr, nullptr);
    server_got = recv_all(c);
    send_all(c, response);
    ::close(c);
  });
  const int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_EQ(::connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  sockaddr_in local{};
  len = sizeof local;
  ::getsockname(client, reinterpret_cast<sockaddr*>(&local), &len);
  ASSERT_TRUE(send_all(client, request));
  ::shutdown(client, SHUT_WR);
  client_got = recv_all(client);
  ::close(client);
  server.join();
  ::close(listener);
  ASSERT_EQ(server_got, request);
  ASSERT_EQ(client_got, response);

  usleep(300000);  // let the last packets through the kernel ring
  rec.signal(SIGUSR1);
  EXPECT_TRUE(rec.wait_for_stderr("capture.packets ", 5000)) << rec.err();
  rec.signal(SIGINT);
  ASSERT_EQ(rec.wait(20000), 0) << rec.err();
  EXPECT_NE(rec.err().find("drops: 0 kernel, 0 interface, 0 internal"), std::string::npos)
      << rec.err();

  const auto all = sessions(store);
  ASSERT_EQ(all.size(), 1u) << rec.err();
  const auto& s = all[0];
  EXPECT_EQ(s["sensor"], "lo-test");
  EXPECT_EQ(s["client_port"].get<int>(), ntohs(local.sin_port));
  EXPECT_EQ(s["server_port"].get<int>(), port);
  EXPECT_EQ(s["bytes_c2s"].get<std::size_t>(), request.size());
  EXPECT_EQ(s["bytes_s2c"].get<std::size_t>(), response.size());
  EXPECT_EQ(s["end_reason"], "fin");
  EXPECT_TRUE(s["flags"].empty()) << s.dump();

  const std::string c2s = dir.path() + "/c2s", s2c = dir.path() + "/s2c";
  const auto f = kagami({"follow", "--store", store, "--session",
                         std::to_string(s["id"].get<int>()), "--c2s", c2s, "--s2c", s2c});
  ASSERT_EQ(f.exit_code, 0) << f.err;
  EXPECT_EQ(read_file(c2s), request);
  EXPECT_EQ(read_file(s2c), response);
  EXPECT_EQ(kagami({"verify", "--store", store, "--strict"}).exit_code, 0);
}

// Writes `frames_to_write` records of a corpus trace, repeated and shifted in time, into `fd`.
void write_repeated(int fd, std::size_t frames_to_write) {
  auto src = capture::PcapFileSource::open(corpus_dir() + "/pcap/http/zeek-bro.org.pcap").value();
  std::vector<std::pair<TimeNs, std::string>> frames;
  capture::RawPacket raw;
  while (src->next(raw) == capture::NextStatus::kPacket)
    frames.emplace_back(raw.ts, std::string(as_chars(raw.data)));
  std::string out;
  const std::uint32_t hdr[6] = {0xa1b23c4d, 0x00040002, 0, 0, 262144, 1};
  out.append(reinterpret_cast<const char*>(hdr), sizeof hdr);
  for (std::size_t i = 0; i < frames_to_write; ++i) {
    const auto& [ts0, bytes] = frames[i % frames.size()];
    const TimeNs ts = ts0 + static_cast<TimeNs>(i / frames.size()) * 60 * kNsPerSec;
    const std::uint32_t rh[4] = {
        static_cast<std::uint32_t>(ts / kNsPerSec), static_cast<std::uint32_t>(ts % kNsPerSec),
        static_cast<std::uint32_t>(bytes.size()), static_cast<std::uint32_t>(bytes.size())};
    out.append(reinterpret_cast<const char*>(rh), sizeof rh);
    out += bytes;
  }
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::write(fd, out.data() + done, out.size() - done);
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
}

TEST(CrashSafety, KilledRecorderLeavesAConsistentStoreThatTheNextRunSeals) {
  TempDir dir;
  const std::string store = dir.path() + "/store";
  const std::string fifo = dir.path() + "/feed";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  Background rec(
      {KAGAMI_BINARY, "record", "-q", "--read", fifo, "--store", store, "--workers", "1"});
  const int fd = ::open(fifo.c_str(), O_WRONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  write_repeated(fd, 751 * 12);  // 12 copies of the trace, ~6 MB: the recorder is mid-stream
  const std::string archive = store + "/packets/00000001.pcap";
  struct stat st {};
  for (int i = 0; i < 500 && (::stat(archive.c_str(), &st) != 0 || st.st_size < (4 << 20)); ++i)
    usleep(10000);
  ASSERT_GE(st.st_size, 4 << 20);
  usleep(700000);       // a store transaction or two has committed
  rec.signal(SIGKILL);  // no flush, no seal: a power cut as far as the process knows
  EXPECT_EQ(rec.wait(10000), 128 + SIGKILL);
  ::close(fd);

  // The index opens and answers; the open archive file shows as not sealed.
  const auto before = sessions(store);
  EXPECT_GT(before.size(), 0u);
  auto v = kagami({"verify", "--store", store});
  EXPECT_EQ(v.exit_code, 0) << v.out;
  EXPECT_NE(v.out.find("unsealed\t00000001.pcap"), std::string::npos) << v.out;
  EXPECT_EQ(kagami({"verify", "--store", store, "--strict"}).exit_code, 1);

  // The next run recovers the file (complete records kept, a partial one cut) and seals it.
  const auto next = kagami(
      {"record", "--read", corpus_dir() + "/pcap/http/zeek-get-gzip.pcap", "--store", store});
  ASSERT_EQ(next.exit_code, 0) << next.err;
  EXPECT_NE(next.err.find("recovered unsealed archive file 00000001.pcap"), std::string::npos)
      << next.err;
  v = kagami({"verify", "--store", store, "--strict"});
  EXPECT_EQ(v.exit_code, 0) << v.out;

  // Sessions written before the crash still export their packets from the recovered file.
  const auto first = before.front();
  const std::string out = dir.path() + "/first.pcap";
  const auto e = kagami(
      {"export", "--store", store, "--session", std::to_string(first["id"].get<int>()), "-o", out});
  EXPECT_EQ(e.exit_code, 0) << e.err;
  const auto after = sessions(store);
  EXPECT_EQ(after.size(), before.size() + 1);  // ids continue, nothing overwritten
}

}  // namespace
}  // namespace kagami::test
