// A live capture that outruns the analysis: the worker's packets wait on disk for it (lag)
// instead of being dropped (loss). The same capture without a backlog shows what it prevents,
// and `kagami reanalyze` filling it in afterwards from the archive.
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>

#include "integration/harness.h"
#include "support/temp_dir.h"

namespace kagami::test {
namespace {

const char* const kSend = R"(import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(open(sys.argv[2], "rb").read())
s.close()
)";

struct LiveRun {
  std::string err;
  std::size_t sessions = 0, http = 0;
};

// The capture sent at full speed over pcap-over-IP to a recorder with one worker and a 1 MiB
// ring: its analyzers, extraction and inspection cannot keep up with the capture thread.
LiveRun live(const TempDir& dir, const std::string& name, const std::string& backlog_mb,
             std::uint64_t packets) {
  LiveRun r;
  const std::string store = dir.path() + "/" + name;
  write_file(
      dir.path() + "/" + name + ".toml",
      "[recorder]\nworkers = 1\nworker_ring_mb = 1\nworker_backlog_mb = " + backlog_mb + "\n");
  ListeningRecorder rec(store, {"--config", dir.path() + "/" + name + ".toml"});
  if (rec.port.empty()) {
    r.err = rec.process.err();
    return r;
  }
  const auto sent =
      run({"/usr/bin/python3", dir.path() + "/send.py", rec.port, dir.path() + "/in.pcap"});
  if (sent.exit_code != 0) r.err = sent.err;
  // Stopped once the capture has read every packet (its status, every 2 s): what the worker
  // has not analysed yet waits in its backlog, and is analysed before the recorder ends.
  for (int i = 0; i < 600; ++i) {
    const auto st =
        nlohmann::json::parse(read_file(store + "/status/recorder.json"), nullptr, false);
    if (st.is_object() && st.contains("recorder") &&
        st["recorder"].value("capture.packets", std::uint64_t{0}) >= packets)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  rec.process.signal(SIGINT);
  if (rec.process.wait(240000) != 0) r.err += "\nthe recorder failed";
  r.err += rec.process.err();
  r.sessions = sessions(store).size();
  r.http = listing("http", store).size();
  return r;
}

// A 40 MB office capture in DIR/in.pcap, the sender script beside it, and what an import of it
// makes (DIR/ref): the whole truth, nothing dropped.
struct Office {
  std::uint64_t packets = 0;
  std::size_t sessions = 0, http = 0;
};
void make_office(const TempDir& dir, Office& out) {
  auto g = run({GEN_TRAFFIC, "--bytes", "40000000", "--apps", "--concurrency", "100", "--out",
                dir.path() + "/in.pcap"});
  ASSERT_EQ(g.exit_code, 0) << g.err;
  write_file(dir.path() + "/send.py", kSend);
  auto ref = kagami(
      {"record", "--read", dir.path() + "/in.pcap", "--store", dir.path() + "/ref", "--stats"});
  ASSERT_EQ(ref.exit_code, 0) << ref.err;
  out.packets = stats_counter(ref.err, "capture.packets");
  ASSERT_GT(out.packets, 10000u);
  out.sessions = sessions(dir.path() + "/ref").size();
  out.http = listing("http", dir.path() + "/ref").size();
  ASSERT_GT(out.http, 100u);
}

TEST(AnalysisBacklog, ALiveCaptureFasterThanItsWorkerLosesNoSession) {
  if (std::string(GEN_TRAFFIC).empty()) GTEST_SKIP() << "built without the benchmarks' generator";
  TempDir dir;
  Office office;
  ASSERT_NO_FATAL_FAILURE(make_office(dir, office));
  const std::uint64_t packets = office.packets;
  const std::size_t want_sessions = office.sessions, want_http = office.http;

  const LiveRun lagged = live(dir, "lagged", "512", packets);
  EXPECT_EQ(stats_counter(lagged.err, "capture.internal_drops"), 0u) << lagged.err;
  EXPECT_GT(stats_counter(lagged.err, "analysis.backlogged"), 0u) << lagged.err;
  EXPECT_GT(stats_counter(lagged.err, "analysis.backlog_peak_bytes"), 0u) << lagged.err;
  EXPECT_EQ(stats_counter(lagged.err, "analysis.backlog_bytes"), 0u) << lagged.err;
  EXPECT_EQ(lagged.sessions, want_sessions);
  EXPECT_EQ(lagged.http, want_http);

  // Without a backlog the same capture loses what the worker had no room for.
  const LiveRun dropped = live(dir, "dropped", "0", packets);
  EXPECT_GT(stats_counter(dropped.err, "capture.internal_drops"), 0u) << dropped.err;
  EXPECT_LT(dropped.http, want_http);

  // What it lost is in its archive: `kagami reanalyze` fills the index from there.
  const std::string store = dir.path() + "/dropped";
  const auto re = kagami({"reanalyze", "--store", store});
  ASSERT_EQ(re.exit_code, 0) << re.err;
  EXPECT_EQ(sessions(store).size(), want_sessions) << re.err;
  EXPECT_EQ(listing("http", store).size(), want_http) << re.err;
}

TEST(AnalysisBacklog, WhatACrashLostFromTheBacklogIsNamedAndReanalysed) {
  if (std::string(GEN_TRAFFIC).empty()) GTEST_SKIP() << "built without the benchmarks' generator";
  TempDir dir;
  Office office;
  ASSERT_NO_FATAL_FAILURE(make_office(dir, office));
  const std::size_t want_sessions = office.sessions, want_http = office.http;

  const std::string store = dir.path() + "/s";
  write_file(dir.path() + "/s.toml",
             "[recorder]\nworkers = 1\nworker_ring_mb = 1\nworker_backlog_mb = 512\n");
  {
    ListeningRecorder rec(store, {"--config", dir.path() + "/s.toml"});
    ASSERT_FALSE(rec.port.empty()) << rec.process.err();
    const auto sent =
        run({"/usr/bin/python3", dir.path() + "/send.py", rec.port, dir.path() + "/in.pcap"});
    ASSERT_EQ(sent.exit_code, 0) << sent.err;
    // Killed while its worker is behind (the mark is written once a second while it is).
    bool behind = false;
    for (int i = 0; i < 300 && !behind; ++i) {
      behind = std::filesystem::exists(store + "/status/analysis-behind.json");
      if (!behind) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!behind) GTEST_SKIP() << "the worker caught up before it could be killed";
    rec.process.signal(SIGKILL);
    rec.process.wait(10000);
  }
  EXPECT_LT(listing("http", store).size(), want_http);
  // The next start says what was lost and how to get it back.
  auto next =
      kagami({"record", "--store", store, "--read", corpus_dir() + "/pcap/dns/ak-dns-udp.pcap"});
  ASSERT_EQ(next.exit_code, 0) << next.err;
  const auto at = next.err.find("kagami reanalyze --store ");
  ASSERT_NE(at, std::string::npos) << next.err;
  std::vector<std::string> args;
  std::string line = next.err.substr(at + 7, next.err.find('\n', at) - at - 7);
  for (std::size_t p = 0; p < line.size();) {
    const std::size_t e = std::min(line.find(' ', p), line.size());
    args.push_back(line.substr(p, e - p));
    p = e + 1;
  }
  const auto re = kagami(args);
  ASSERT_EQ(re.exit_code, 0) << re.err;
  // Everything of the capture, plus the one DNS capture recorded since.
  ASSERT_EQ(kagami({"record", "-q", "--store", dir.path() + "/dns", "--read",
                    corpus_dir() + "/pcap/dns/ak-dns-udp.pcap"})
                .exit_code,
            0);
  const std::size_t dns_sessions = sessions(dir.path() + "/dns").size();
  EXPECT_EQ(sessions(store).size(), want_sessions + dns_sessions) << re.err << [&] {
    std::string old;  // what the reanalysis did not make
    for (const auto& s : sessions(store))
      if (s.value("analysis", 0) == 0) old += s.dump() + "\n";
    return old;
  }();
  EXPECT_EQ(listing("http", store).size(), want_http) << re.err;
  // Said once: the mark is gone.
  EXPECT_FALSE(std::filesystem::exists(store + "/status/analysis-behind.json"));
}

}  // namespace
}  // namespace kagami::test
