// The mirror between threads: every batch handed over reaches the pcap file and the in-process
// consumer in each producer's order; a full queue makes its producer wait a bounded moment,
// then drop and count.
#include "kagami/mirror/mirror.h"

#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "kagami/capture/pcap_file_source.h"
#include "kagami/mirror/in_process_source.h"
#include "kagami/mirror/tcp_synthesizer.h"

#include "support/temp_dir.h"

namespace kagami::mirror {
namespace {

TcpSynthesizer session(std::uint16_t client_port) {
  packet::TcpEnd c, s;
  c.ip = IpAddress::parse("10.0.0.1").value();
  c.port = client_port;
  s.ip = IpAddress::parse("10.0.0.2").value();
  s.port = 443;
  return TcpSynthesizer(c, s, 1, 1, 1460);
}

TEST(Mirror, TwoProducersReachThePcapFileAndTheConsumer) {
  test::TempDir dir;
  MirrorOptions o;
  o.pcap_dir = dir.path() + "/mirror";
  o.batch_bytes = 4096;
  o.queue_batches = 1024;
  InProcessSource source(4096);
  auto m = Mirror::start(o, 2, [&](FrameBatch& b) { source.offer(b); });
  ASSERT_TRUE(m.ok()) << m.error().message;
  constexpr int kSessions = 200;
  auto produce = [&](int producer) {
    Mirror::Producer& p = (*m)->producer(producer);
    for (int i = 0; i < kSessions; ++i) {
      TcpSynthesizer t = session(static_cast<std::uint16_t>(10000 + producer * 1000 + i));
      t.open(1, p.batch());
      t.data(2, true, as_bytes(std::string(3000, 'x')), p.batch());  // 3 segments + ACK
      t.fin(3, true, p.batch());
      t.fin(4, false, p.batch());
      p.flush(false);
    }
    p.flush(true);
  };
  std::thread a(produce, 0), b(produce, 1);
  a.join();
  b.join();
  (*m)->stop();
  source.close();
  const std::uint64_t per_session = 3 + 4 + 4;
  EXPECT_EQ((*m)->counters().packets.load(), 2 * kSessions * per_session);
  EXPECT_EQ((*m)->counters().dropped_packets.load(), 0u);
  capture::RawPacket pkt;
  std::uint64_t from_source = 0;
  while (source.next(pkt) == capture::NextStatus::kPacket) ++from_source;
  EXPECT_EQ(from_source, 2 * kSessions * per_session);
  const auto files = (*m)->files();
  ASSERT_EQ(files.size(), 1u);
  auto reader = capture::PcapFileSource::open(files[0]);
  ASSERT_TRUE(reader.ok()) << reader.error().message;
  std::uint64_t in_file = 0;
  while ((*reader)->next(pkt) == capture::NextStatus::kPacket) ++in_file;
  EXPECT_EQ(in_file, 2 * kSessions * per_session);
}

// `n` sessions opened (three packets each), each handed on at once.
void open_sessions(Mirror::Producer& p, int n) {
  for (int i = 0; i < n; ++i) {
    TcpSynthesizer t = session(static_cast<std::uint16_t>(20000 + i));
    t.open(1, p.batch());
    p.flush(false);
  }
}

// A mirror thread stuck for good (a dead disk): each producer waits its bounded moment, then
// drops and counts, so the proxy goes on.
TEST(Mirror, AFullQueueWaitsABoundedMomentThenDrops) {
  MirrorOptions o;  // no pcap output: the consumer alone, which never takes anything
  o.batch_bytes = 1;
  o.queue_batches = 2;
  o.full_wait_ms = 5;
  std::atomic<bool> release{false};
  auto m = Mirror::start(o, 1, [&](FrameBatch&) {
    while (!release.load()) std::this_thread::yield();
  });
  ASSERT_TRUE(m.ok());
  Mirror::Producer& p = (*m)->producer(0);
  open_sessions(p, 100);
  release.store(true);
  (*m)->stop();
  const auto& c = (*m)->counters();
  EXPECT_GT(c.dropped_batches.load(), 0u);
  // A wait that did not help; the batches after it dropped at once, for a while (one more
  // wait may have helped while the mirror thread was starting).
  EXPECT_GE(c.producer_waits.load(), 1u);
  EXPECT_LE(c.producer_waits.load(), 2u);
  EXPECT_GT(c.dropped_batches.load(), 90u);
  EXPECT_EQ(c.packets.load() + c.dropped_packets.load(), 300u);
}

// A mirror thread that stalls for a moment (the disk busy): the producer waits it out and
// nothing is lost.
TEST(Mirror, AMomentsStallLosesNothing) {
  MirrorOptions o;
  o.batch_bytes = 1;
  o.queue_batches = 2;
  o.full_wait_ms = 5000;
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
  auto m = Mirror::start(o, 1, [&](FrameBatch&) {
    while (std::chrono::steady_clock::now() < until) std::this_thread::yield();
  });
  ASSERT_TRUE(m.ok());
  Mirror::Producer& p = (*m)->producer(0);
  open_sessions(p, 100);
  (*m)->stop();
  const auto& c = (*m)->counters();
  EXPECT_EQ(c.dropped_packets.load(), 0u);
  EXPECT_GT(c.producer_waits.load(), 0u);
  EXPECT_EQ(c.packets.load(), 300u);
}

}  // namespace
}  // namespace kagami::mirror
