#include "kagami/flow/tcp_stream.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kagami/packet/packet.h"

namespace kagami::flow {
namespace {

constexpr std::uint8_t kSyn = packet::kTcpSyn, kAck = packet::kTcpAck, kFin = packet::kTcpFin,
                       kRst = packet::kTcpRst;

// Records what a stream delivers, in order: "abc" for data, "<gap 5>" for gaps, "<end>".
class Recording : public StreamSink {
 public:
  void on_data(Direction, TimeNs, ByteView b) override { log += std::string(as_chars(b)); }
  void on_gap(Direction, TimeNs, std::uint64_t n) override {
    log += "<gap " + std::to_string(n) + ">";
  }
  void on_end(Direction, TimeNs) override { log += "<end>"; }
  std::string log;
};

struct Harness {
  explicit Harness(OverlapPolicy policy = OverlapPolicy::kFirst) { limits.overlap = policy; }
  StreamContext cx() {
    return StreamContext{&sink, Direction::kClientToServer, &limits, &budget, &counters};
  }
  void seg(std::uint32_t seq, std::uint8_t flags, std::string_view data = {},
           std::uint32_t wire_len = UINT32_MAX) {
    stream.on_segment(cx(), ++t, seq, flags, as_bytes(data),
                      wire_len == UINT32_MAX ? static_cast<std::uint32_t>(data.size()) : wire_len);
  }
  void ack(std::uint32_t n) { stream.on_peer_ack(cx(), n); }
  void finish() { stream.finish(cx(), ++t); }

  ReassemblyLimits limits;
  ReassemblyBudget budget;
  ReassemblyCounters counters;
  Recording sink;
  TcpStream stream;
  TimeNs t = 0;
};

TEST(TcpReassembly, InOrderSegmentsAreDeliveredOnce) {
  Harness h;
  h.seg(1000, kSyn);
  h.seg(1001, kAck, "abc");
  h.seg(1004, kAck, "def");
  h.finish();
  EXPECT_EQ(h.sink.log, "abcdef<end>");
  EXPECT_EQ(h.stream.stats().delivered, 6u);
}

TEST(TcpReassembly, OutOfOrderSegmentsWaitForTheHole) {
  Harness h;
  h.seg(1000, kSyn);
  h.seg(1007, kAck, "ghi");
  h.seg(1004, kAck, "def");
  EXPECT_EQ(h.sink.log, "");
  h.seg(1001, kAck, "abc");
  EXPECT_EQ(h.sink.log, "abcdefghi");
  EXPECT_EQ(h.counters.out_of_order_segments.get(), 2u);
  EXPECT_EQ(h.budget.used, 0u + h.stream.stats().delivered);  // only retention is held
}

TEST(TcpReassembly, DuplicatesAndRetransmissionsAreDeliveredOnce) {
  Harness h;
  h.seg(1000, kSyn);
  h.seg(1001, kAck, "abc");
  h.seg(1001, kAck, "abc");
  h.seg(1002, kAck, "bcdef");  // overlaps the front, carries new bytes
  h.seg(1010, kAck, "jk");
  h.seg(1010, kAck, "jk");
  h.seg(1007, kAck, "ghi");
  h.finish();
  EXPECT_EQ(h.sink.log, "abcdefghijk<end>");
  EXPECT_EQ(h.counters.overlap_conflicts.get(), 0u);
}

TEST(TcpReassembly, OverlapWithDifferentDataKeepsFirstAndCounts) {
  // Delivered bytes re-sent with other content (suricata-verify's GOOD/EVIL case).
  Harness h;
  h.seg(1, kSyn);
  h.seg(2, kAck, "GOOD");
  h.seg(2, kAck, "EVIL");
  h.finish();
  EXPECT_EQ(h.sink.log, "GOOD<end>");
  EXPECT_EQ(h.counters.overlap_conflicts.get(), 1u);
  EXPECT_EQ(h.stream.stats().overlap_conflicts, 1u);
}

TEST(TcpReassembly, AcknowledgedBytesAreNoLongerCompared) {
  Harness h;
  h.seg(1, kSyn);
  h.seg(2, kAck, "GOOD");
  h.ack(6);  // the receiver has them: a later copy cannot change what it saw
  h.seg(2, kAck, "EVIL");
  EXPECT_EQ(h.counters.overlap_conflicts.get(), 0u);
  EXPECT_EQ(h.budget.used, 0u);
}

TEST(TcpReassembly, BufferedOverlapFollowsThePolicy) {
  const struct {
    OverlapPolicy policy;
    const char* expect;
  } cases[] = {{OverlapPolicy::kFirst, "abXXXXgh"},
               {OverlapPolicy::kLast, "abYYYYgh"},
               {OverlapPolicy::kLinux, "abXXXXgh"}};
  for (const auto& c : cases) {
    Harness h(c.policy);
    h.seg(100, kSyn);
    h.seg(103, kAck, "XXXX");
    h.seg(103, kAck, "YYYY");
    h.seg(107, kAck, "gh");
    h.seg(101, kAck, "ab");
    EXPECT_EQ(h.sink.log, c.expect);
    EXPECT_EQ(h.counters.overlap_conflicts.get(), 1u);
  }
}

TEST(TcpReassembly, LinuxPolicyLetsTheInOrderSegmentWin) {
  // A buffered copy arrived first; the segment that fills the hole carries other bytes.
  for (auto policy : {OverlapPolicy::kFirst, OverlapPolicy::kLinux}) {
    Harness h(policy);
    h.seg(100, kSyn);
    h.seg(104, kAck, "XX");
    h.seg(101, kAck, "abcde");
    h.seg(106, kAck, "f");
    EXPECT_EQ(h.sink.log, policy == OverlapPolicy::kLinux ? "abcdef" : "abcXXf");
    EXPECT_EQ(h.counters.overlap_conflicts.get(), 1u);
  }
}

TEST(TcpReassembly, SequenceNumbersWrapAround) {
  Harness h;
  h.seg(0xfffffff0u, kSyn);
  h.seg(0xfffffff1u, kAck, "0123456789abcde");  // ends at 0x00000000
  h.seg(0x00000005u, kAck, "klm");              // after the wrap, out of order
  h.seg(0x00000000u, kAck, "fghij");
  h.finish();
  EXPECT_EQ(h.sink.log, "0123456789abcdefghijklm<end>");
  EXPECT_EQ(h.stream.next_offset(), 23u);
}

TEST(TcpReassembly, MidStreamPickupStartsAtTheFirstSegment) {
  Harness h;
  h.seg(50000, kAck, "hello ");
  h.seg(50006, kAck, "world");
  EXPECT_EQ(h.sink.log, "hello world");
  EXPECT_FALSE(h.stream.syn_seen());
}

TEST(TcpReassembly, MidStreamPickupAnchoredByThePeersAck) {
  Harness h;
  h.ack(7000);  // we saw only the peer's ACK so far
  h.seg(7003, kAck, "def");
  h.seg(7000, kAck, "abc");
  EXPECT_EQ(h.sink.log, "abcdef");
}

TEST(TcpReassembly, HoleBecomesAGapOnceAckedAndPassed) {
  Harness h;
  h.seg(1000, kSyn);
  h.seg(1001, kAck, "abc");
  h.seg(1010, kAck, "xyz");  // 1004..1009 never captured
  h.ack(1013);               // but the receiver got it
  EXPECT_EQ(h.sink.log, "abc");
  h.seg(1013, kAck);  // and the sender has moved on
  EXPECT_EQ(h.sink.log, "abc<gap 6>xyz");
  EXPECT_EQ(h.stream.stats().gaps, 1u);
  EXPECT_EQ(h.stream.stats().gap_bytes, 6u);
}

TEST(TcpReassembly, AckBeforeTheDataItAcknowledgesIsNotAGap) {
  // A mirror may deliver the receiver's ACK before the segment it acknowledges.
  Harness h;
  h.seg(1000, kSyn);
  h.ack(1004);
  h.seg(1001, kAck, "abc");
  EXPECT_EQ(h.sink.log, "abc");
  EXPECT_EQ(h.stream.stats().gaps, 0u);
}

TEST(TcpReassembly, SnaplenCutSegmentLeavesAGapAndGoesOn) {
  Harness h;
  h.seg(1000, kSyn);
  h.seg(1001, kAck, "ab", 10);  // 10 bytes sent, 2 captured
  h.seg(1011, kAck, "cd");
  EXPECT_EQ(h.sink.log, "ab<gap 8>cd");
}

TEST(TcpReassembly, FinishTurnsHoldingsIntoGapsAndData) {
  Harness h;
  h.seg(1000, kSyn);
  h.seg(1001, kAck, "ab");
  h.seg(1005, kAck, "ef");
  h.seg(1009, kAck | kFin, "ij");  // FIN after byte 1010
  h.finish();
  EXPECT_EQ(h.sink.log, "ab<gap 2>ef<gap 2>ij<end>");
}

TEST(TcpReassembly, BytesLostBeforeTheFinAreAGapAtTheEnd) {
  Harness h;
  h.seg(1000, kSyn);
  h.seg(1001, kAck, "ab");
  h.seg(1010, kAck | kFin);  // the last 7 bytes were never captured
  h.finish();
  EXPECT_EQ(h.sink.log, "ab<gap 7><end>");
}

TEST(TcpReassembly, ResetCarriesNoStreamDataAndAnchorsNothing) {
  Harness h;
  h.seg(0, kRst | kAck, "connection reset text");
  h.seg(5000, kSyn);  // the real handshake follows
  h.seg(5001, kAck, "data");
  EXPECT_EQ(h.sink.log, "data");
}

TEST(TcpReassembly, PerStreamBoundForcesAGapAndFlags) {
  Harness h;
  h.limits.per_stream_bytes = 8;
  h.seg(1000, kSyn);
  h.seg(1001, kAck, "a");
  h.seg(1010, kAck, "0123");
  h.seg(1014, kAck, "4567");
  EXPECT_EQ(h.sink.log, "a");  // 8 bytes held: at the bound, not over it
  h.seg(1018, kAck, "89");
  EXPECT_EQ(h.sink.log, "a<gap 8>0123456789");
  EXPECT_TRUE(h.stream.stats().limited);
  EXPECT_EQ(h.counters.limit_gaps.get(), 1u);
  EXPECT_EQ(h.stream.buffered_bytes(), 0u);
}

TEST(TcpReassembly, TotalBoundRefusesBufferingAndFlags) {
  Harness h;
  h.limits.total_bytes = 200;  // a few segments' overhead
  h.limits.retain_bytes = 0;
  h.seg(1000, kSyn);
  for (std::uint32_t i = 0; i < 20; ++i) h.seg(2000 + i * 10, kAck, "0123456789");
  EXPECT_LE(h.budget.used, h.limits.total_bytes);
  EXPECT_TRUE(h.stream.stats().limited);
  h.finish();
  EXPECT_EQ(h.budget.used, 0u);
}

TEST(TcpReassembly, SegmentFarOutsideAnyWindowIsIgnored) {
  Harness h;
  h.seg(1000, kSyn);
  h.seg(1001, kAck, "abc");
  h.seg(1001 + (1u << 31) - 10, kAck, "forged");
  h.finish();
  EXPECT_EQ(h.sink.log, "abc<end>");
}

TEST(TcpReassembly, ResetFreesEverything) {
  Harness h;
  h.seg(1000, kSyn);
  h.seg(1001, kAck, "abc");
  h.seg(1100, kAck, "later");
  EXPECT_GT(h.budget.used, 0u);
  h.stream.reset(h.cx());
  EXPECT_EQ(h.budget.used, 0u);
}

}  // namespace
}  // namespace kagami::flow
