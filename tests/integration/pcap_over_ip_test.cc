// `kagami record --pcap-over-ip ADDR:PORT` and `--pcap-over-ip-listen ADDR:PORT`: a pcap
// stream over TCP, as PolarProxy, Arkime, Kagami's own proxy and `tcpdump -w - | nc` send it.
// The senders here are Python, cutting corpus captures where the tests need them cut; the
// recorder's store is compared with an import of the same files.
#include <filesystem>
#include <regex>
#include <set>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include "integration/harness.h"
#include "support/temp_dir.h"

namespace kagami::test {
namespace {

const char* const kPython = "/usr/bin/python3";

// Sends pcap bytes the way the test asks: to a listening recorder ("send PORT FILE [how]"), or
// as a server the recorder connects to ("serve PORT FILE": the first connection gets the
// header and the records up to the middle one, cut halfway through it; the second gets the
// header and the rest, from the record that was cut).
const char* const kSender = R"(import socket, struct, sys, time

def records(data):
    out, at = [], 24
    while at + 16 <= len(data):
        n = struct.unpack_from("<I", data, at + 8)[0]
        out.append(data[at:at + 16 + n])
        at += 16 + n
    return data[:24], out

mode, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
data = open(path, "rb").read()
head, recs = records(data)
if mode == "send":
    how = sys.argv[4] if len(sys.argv) > 4 else "whole"
    if how == "garbage":
        data = b"GET / HTTP/1.1\r\n\r\n" + b"x" * 64
    elif how == "pcapng":
        data = bytes.fromhex("0a0d0d0a") + b"\x1c\x00\x00\x00" + b"\x00" * 20
    elif how == "raw-ip":  # the same capture announced as another link type
        data = head[:20] + struct.pack("<I", 101) + b"".join(recs)
    elif how == "cut":  # the last record cut in half
        data = head + b"".join(recs[:-1]) + recs[-1][: len(recs[-1]) // 2]
    elif how == "lying":  # a record header claiming 100 MB
        data = head + recs[0][:8] + struct.pack("<II", 100 << 20, 100 << 20) + b"x" * 100
    s = socket.create_connection(("127.0.0.1", port))
    piece = len(data) if how == "burst" else 1000  # all at once, then closed; or in pieces
    try:
        for i in range(0, len(data), piece):
            s.sendall(data[i:i + piece])
    except (BrokenPipeError, ConnectionResetError):
        pass  # refused: the recorder closed the connection
    s.close()
else:
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(4)
    print("listening", file=sys.stderr, flush=True)
    mid = len(recs) // 2
    c, _ = srv.accept()
    c.sendall(head + b"".join(recs[:mid]) + recs[mid][: len(recs[mid]) // 2])
    c.close()
    c, _ = srv.accept()
    c.sendall(head + b"".join(recs[mid:]))
    c.close()
    print("served", flush=True)
    c, _ = srv.accept()  # the recorder's next attempt: held open until the test ends
    time.sleep(30)
)";

// What an import of the file gives: its packet count and session count.
std::pair<std::uint64_t, std::size_t> imported(const TempDir& dir, const std::string& name,
                                               const std::string& file) {
  const std::string store = dir.path() + "/import-" + name;
  auto r = kagami({"record", "--stats", "--read", file, "--store", store});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return {stats_counter(r.err, "source.received"), sessions(store).size()};
}

// Senders that connect to a listening recorder: two good ones, one that is cut off in the
// middle of a record, and four it must refuse (not pcap, pcapng, another link type, a record
// header that lies). What the good ones sent is recorded as an import of the same files is;
// the refusals and the cut record are counted.
TEST(PcapOverIp, ListeningTakesSendersAndRefusesWhatIsNotTheirPcap) {
  TempDir dir;
  const std::string store = dir.path() + "/store", sender = dir.path() + "/sender.py";
  write_file(sender, kSender);
  const std::string a = corpus_dir() + "/pcap/smb/sv-smb2-peter.pcap",
                    b = corpus_dir() + "/pcap/http/ak-http-post-upload.pcap";
  ASSERT_TRUE(std::filesystem::exists(a) && std::filesystem::exists(b));
  ListeningRecorder listening(store);
  Background& rec = listening.process;
  ASSERT_FALSE(listening.port.empty()) << rec.err();
  const std::string port = listening.port;
  auto send = [&](const std::string& file, const std::string& how) {
    auto r = run({kPython, sender, "send", port, file, how});
    EXPECT_EQ(r.exit_code, 0) << r.err;
  };
  // The older capture first: one recorder's clock only goes forward.
  send(b, "cut");
  // All at once and closed: the last records arrive with the end of the stream.
  send(a, "burst");
  for (const char* bad : {"garbage", "pcapng", "raw-ip", "lying"}) send(a, bad);
  rec.wait_for_stderr("went away in the middle of a record", 10000);
  // `kagami status` while it runs: recording, from where (rewritten every two seconds).
  std::string said;
  for (int i = 0; i < 50 && said.find("\"state\":\"recording\"") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    said = kagami({"status", "--store", store, "--json"}).out;
  }
  EXPECT_NE(said.find("\"source\":\"pcap-over-ip listening on 127.0.0.1:" + port + "\""),
            std::string::npos)
      << said;
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  rec.signal(SIGINT);
  ASSERT_EQ(rec.wait(30000), 0) << rec.err();
  // And once stopped: the archive's packets, the recorder's last word.
  const auto status = kagami({"status", "--store", store});
  EXPECT_NE(status.out.find("stopped: pcap-over-ip listening on"), std::string::npos) << status.out;

  const auto [a_packets, a_sessions] = imported(dir, "a", a);
  const auto [b_packets, b_sessions] = imported(dir, "b", b);
  // The lying stream's first record header is refused before anything of it is taken.
  EXPECT_EQ(stats_counter(rec.err(), "source.received"), a_packets + b_packets - 1) << rec.err();
  EXPECT_EQ(stats_counter(rec.err(), "source.streams"), 6u) << rec.err();
  EXPECT_EQ(stats_counter(rec.err(), "source.streams_refused"), 4u) << rec.err();
  EXPECT_EQ(stats_counter(rec.err(), "source.records_cut"), 1u) << rec.err();
  for (const char* why : {"does not begin with a pcap header", "the stream is pcapng",
                          "link type 101, the recording's is 1", "a record header that is not one"})
    EXPECT_NE(rec.err().find(why), std::string::npos) << why << "\n" << rec.err();
  EXPECT_EQ(sessions(store).size(), a_sessions + b_sessions);
  EXPECT_EQ(run({KAGAMI_BINARY, "verify", "--store", store}).exit_code, 0);
  EXPECT_NE(status.out.find(std::to_string(a_packets + b_packets - 1) + " packets, from "),
            std::string::npos)
      << status.out;
}

// The recorder as the client: its sender goes away in the middle of a record; the recorder
// connects again and reads the rest, so the store holds what an import of the file holds
// (the record cut the first time comes whole the second).
TEST(PcapOverIp, AClientReconnectsWhenItsSenderGoes) {
  TempDir dir;
  const std::string store = dir.path() + "/store", sender = dir.path() + "/sender.py";
  write_file(sender, kSender);
  const std::string a = corpus_dir() + "/pcap/smb/sv-smb2-peter.pcap";
  const std::string port = std::to_string(free_port());
  Background server({kPython, sender, "serve", port, a});
  ASSERT_TRUE(server.wait_for_stderr("listening", 10000)) << server.err();
  Background rec({KAGAMI_BINARY, "record", "--stats", "--pcap-over-ip", "127.0.0.1:" + port,
                  "--store", store});
  ASSERT_TRUE(rec.wait_for_stderr("went away in the middle of a record", 15000)) << rec.err();
  // Reconnected (after 250 ms) and read to the end; the third connection stays open.
  ASSERT_TRUE(rec.wait_for_stderr("went away\n", 15000)) << rec.err();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  rec.signal(SIGINT);
  ASSERT_EQ(rec.wait(30000), 0) << rec.err();
  server.signal(SIGTERM);
  server.wait(5000);
  const auto [packets, session_count] = imported(dir, "a", a);
  EXPECT_EQ(stats_counter(rec.err(), "source.received"), packets) << rec.err();
  EXPECT_EQ(stats_counter(rec.err(), "source.records_cut"), 1u) << rec.err();
  EXPECT_GE(stats_counter(rec.err(), "source.streams"), 2u) << rec.err();
  EXPECT_EQ(sessions(store).size(), session_count);
}

// `tcpdump -w - | nc`, with Python for nc: live packets of an HTTP exchange on loopback reach a
// listening recorder through the pipe and are an HTTP record there.
TEST(PcapOverIp, ATcpdumpPipeIsASender) {
  if (::geteuid() != 0 || !have_program("tcpdump")) GTEST_SKIP() << "tcpdump on lo needs root";
  TempDir dir;
  const std::string store = dir.path() + "/store";
  ListeningRecorder listening(store);
  Background& rec = listening.process;
  ASSERT_FALSE(listening.port.empty()) << rec.err();
  const std::string port = listening.port, web = std::to_string(free_port());
  Background site(
      {kPython, "-m", "http.server", "--bind", "127.0.0.1", web, "--directory", dir.path()});
  ASSERT_TRUE(port_open(std::stoi(web), 10000)) << site.err();
  const std::string filter = "tcp port " + web;
  Background pipe({"sh", "-c",
                   "tcpdump -i lo --immediate-mode -U -w - '" + filter + "' | " + kPython +
                       " -c 'import socket, sys\n"
                       "s = socket.create_connection((\"127.0.0.1\", " +
                       port +
                       "))\n"
                       "for b in iter(lambda: sys.stdin.buffer.read1(65536), b\"\"): "
                       "s.sendall(b)\n'"});
  ASSERT_TRUE(pipe.wait_for_stderr("listening on lo", 10000)) << pipe.err();
  write_file(dir.path() + "/piped.txt", "through a tcpdump pipe\n");
  auto r = run({kPython, "-c",
                "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:" + web +
                    "/piped.txt').read().decode())"});
  EXPECT_EQ(r.out, "through a tcpdump pipe\n\n") << r.err;
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  run({"pkill", "-INT", "-f", "tcpdump -i lo --immediate-mode -U -w - " + filter});
  pipe.wait(10000);
  EXPECT_TRUE(rec.wait_for_stderr("went away", 10000)) << rec.err();
  rec.signal(SIGINT);
  ASSERT_EQ(rec.wait(30000), 0) << rec.err();
  site.signal(SIGTERM);
  site.wait(5000);
  std::set<std::string> uris;
  for (const auto& h : listing("http", store)) uris.insert(h["uri"].get<std::string>());
  EXPECT_EQ(uris, std::set<std::string>{"/piped.txt"}) << rec.err() << pipe.err();
}

}  // namespace
}  // namespace kagami::test
