#include "kagami/flow/flow_table.h"

#include <deque>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kagami/packet/decoder.h"
#include "kagami/packet/link_type.h"

#include "support/packets.h"

namespace kagami::flow {
namespace {

using namespace kagami::test;

struct Ended {
  std::uint64_t id;
  std::string client;  // "ip:port"
  std::string server;
  std::uint64_t pkts[2], bytes[2];
  EndReason reason;
  bool mid_stream, continued;
  std::string c2s, s2c;
  std::uint64_t frames;
};

// A FlowObserver that numbers sessions, captures their payload, and remembers how they ended.
class Observer : public FlowObserver {
 public:
  struct Sink : StreamSink {
    std::string data[2];
    void on_data(Direction d, TimeNs, ByteView b) override {
      data[index(d)] += std::string(as_chars(b));
    }
    void on_gap(Direction d, TimeNs, std::uint64_t n) override {
      data[index(d)] += "<gap " + std::to_string(n) + ">";
    }
    void on_end(Direction, TimeNs) override {}
  };
  void on_session_start(Flow& f) override {
    f.session_id = next_id++;
    sinks.emplace_back();
    f.sink = &sinks.back();
    by_id.push_back(&sinks.back());
  }
  void on_session_end(Flow& f, EndReason r) override {
    auto ep = [](const IpAddress& a, std::uint16_t p) {
      return a.to_string() + ":" + std::to_string(p);
    };
    Sink* s = by_id[f.session_id - 1];
    ended.push_back(Ended{f.session_id,
                          ep(f.client_ip(), f.client_port()),
                          ep(f.server_ip(), f.server_port()),
                          {f.pkts[0], f.pkts[1]},
                          {f.bytes[0], f.bytes[1]},
                          r,
                          f.mid_stream,
                          f.continued,
                          s->data[0],
                          s->data[1],
                          f.frames});
    (void)f.locations.take();
  }
  void on_locations_full(Flow& f) override {
    ++chunks;
    (void)f.locations.take();
  }
  std::uint64_t next_id = 1;
  std::deque<Sink> sinks;
  std::vector<Sink*> by_id;
  std::vector<Ended> ended;
  int chunks = 0;
};

class FlowTableTest : public ::testing::Test {
 protected:
  void make(FlowConfig cfg = FlowConfig{}, ReassemblyLimits r = ReassemblyLimits{}) {
    table = std::make_unique<FlowTable>(cfg, r, observer);
  }
  void SetUp() override { make(); }

  void send(const Bytes& frame, TimeNs ts) {
    frames.push_back(frame);
    packet::Packet p;
    const Bytes& f = frames.back();
    ASSERT_EQ(packet::Decoder::decode(packet::kLinkEthernet, ts, ByteView(f.data(), f.size()),
                                      static_cast<std::uint32_t>(f.size()), p)
                  .status,
              packet::DecodeStatus::kOk);
    const PacketLocation loc{1, offset += 100};
    table->process(p, std::span<const PacketLocation>(&loc, 1));
  }
  // A complete HTTP-like exchange: handshake, request, response, FIN/FIN.
  void exchange(std::uint16_t cport, std::uint32_t isn, TimeNs t0, std::string_view req = "GET /",
                std::string_view resp = "200 OK") {
    const auto c = "10.0.0.1", s = "10.0.0.2";
    const std::uint32_t cs = isn, ss = isn + 100000;
    const auto rq = static_cast<std::uint32_t>(req.size()),
               rp = static_cast<std::uint32_t>(resp.size());
    send(tcp4(c, cport, s, 80, cs, 0, kSyn), t0);
    send(tcp4(s, 80, c, cport, ss, cs + 1, kSyn | kAck), t0 + 1);
    send(tcp4(c, cport, s, 80, cs + 1, ss + 1, kAck), t0 + 2);
    send(tcp4(c, cport, s, 80, cs + 1, ss + 1, kAck | kPsh, req), t0 + 3);
    send(tcp4(s, 80, c, cport, ss + 1, cs + 1 + rq, kAck | kPsh, resp), t0 + 4);
    send(tcp4(c, cport, s, 80, cs + 1 + rq, ss + 1 + rp, kAck | kFin), t0 + 5);
    send(tcp4(s, 80, c, cport, ss + 1 + rp, cs + 2 + rq, kAck | kFin), t0 + 6);
    send(tcp4(c, cport, s, 80, cs + 2 + rq, ss + 2 + rp, kAck), t0 + 7);
  }

  Observer observer;
  std::unique_ptr<FlowTable> table;
  std::deque<Bytes> frames;
  std::uint64_t offset = 0;
};

TEST_F(FlowTableTest, ClientIsTheSynSenderAndPayloadIsReassembled) {
  exchange(40000, 1000, kNsPerSec);
  table->flush_all();
  ASSERT_EQ(observer.ended.size(), 1u);
  const Ended& e = observer.ended[0];
  EXPECT_EQ(e.client, "10.0.0.1:40000");
  EXPECT_EQ(e.server, "10.0.0.2:80");
  EXPECT_EQ(e.pkts[0], 5u);
  EXPECT_EQ(e.pkts[1], 3u);
  EXPECT_EQ(e.bytes[0], 5u);
  EXPECT_EQ(e.bytes[1], 6u);
  EXPECT_EQ(e.c2s, "GET /");
  EXPECT_EQ(e.s2c, "200 OK");
  EXPECT_EQ(e.reason, EndReason::kFin);
  EXPECT_FALSE(e.mid_stream);
  EXPECT_EQ(e.frames, 8u);
}

TEST_F(FlowTableTest, SynAckSeenFirstStillNamesTheClient) {
  send(tcp4("10.0.0.2", 80, "10.0.0.1", 40000, 5000, 1001, kSyn | kAck), 1);
  send(tcp4("10.0.0.1", 40000, "10.0.0.2", 80, 1000, 0, kSyn), 2);
  send(tcp4("10.0.0.1", 40000, "10.0.0.2", 80, 1001, 5001, kAck | kPsh, "hi"), 3);
  table->flush_all();
  ASSERT_EQ(observer.ended.size(), 1u);
  EXPECT_EQ(observer.ended[0].client, "10.0.0.1:40000");
  EXPECT_EQ(observer.ended[0].c2s, "hi");
  EXPECT_FALSE(observer.ended[0].mid_stream);
}

TEST_F(FlowTableTest, MidStreamRolesComeFromThePorts) {
  send(tcp4("10.0.0.2", 443, "10.0.0.1", 51000, 9000, 7000, kAck | kPsh, "tls"), 1);
  send(tcp4("10.0.0.1", 51000, "10.0.0.2", 443, 7000, 9003, kAck), 2);
  table->flush_all();
  ASSERT_EQ(observer.ended.size(), 1u);
  EXPECT_EQ(observer.ended[0].client, "10.0.0.1:51000");
  EXPECT_EQ(observer.ended[0].s2c, "tls");
  EXPECT_TRUE(observer.ended[0].mid_stream);
  EXPECT_EQ(observer.ended[0].reason, EndReason::kEndOfInput);
}

TEST_F(FlowTableTest, PortReuseAfterCloseStartsANewSession) {
  exchange(40000, 1000, kNsPerSec);
  exchange(40000, 90000, 2 * kNsPerSec, "GET /two", "404");
  table->flush_all();
  ASSERT_EQ(observer.ended.size(), 2u);
  EXPECT_EQ(observer.ended[0].reason, EndReason::kPortReuse);
  EXPECT_EQ(observer.ended[0].c2s, "GET /");
  EXPECT_EQ(observer.ended[1].c2s, "GET /two");
  EXPECT_EQ(observer.ended[1].s2c, "404");
}

TEST_F(FlowTableTest, RetransmittedSynIsTheSameSession) {
  send(tcp4("10.0.0.1", 40000, "10.0.0.2", 80, 1000, 0, kSyn), 1);
  send(tcp4("10.0.0.1", 40000, "10.0.0.2", 80, 1000, 0, kSyn), kNsPerSec);
  table->flush_all();
  ASSERT_EQ(observer.ended.size(), 1u);
  EXPECT_EQ(observer.ended[0].pkts[0], 2u);
}

TEST_F(FlowTableTest, LateSynOfTheSameConnectionStaysInTheSession) {
  // The SYN is captured after the rest of the connection (arkime's synthetic case).
  send(tcp4("10.0.0.2", 80, "10.0.0.1", 40009, 31000, 30001, kSyn | kAck), 1);
  send(tcp4("10.0.0.1", 40009, "10.0.0.2", 80, 30001, 31001, kAck | kPsh, "req"), 2);
  send(tcp4("10.0.0.1", 40009, "10.0.0.2", 80, 30004, 31001, kAck | kFin), 3);
  send(tcp4("10.0.0.2", 80, "10.0.0.1", 40009, 31001, 30005, kAck | kFin), 4);
  send(tcp4("10.0.0.1", 40009, "10.0.0.2", 80, 30000, 0, kSyn), 5);
  table->flush_all();
  ASSERT_EQ(observer.ended.size(), 1u);
  EXPECT_EQ(observer.ended[0].pkts[0], 3u);
}

TEST_F(FlowTableTest, IdleTimeoutEndsSessionsInPacketTime) {
  FlowConfig cfg;
  cfg.udp_idle_timeout_ns = 10 * kNsPerSec;
  make(cfg);
  send(eth(ipv4(ip("10.0.0.1"), ip("10.0.0.53"), 17, udp(5000, 53, "q"))), kNsPerSec);
  send(eth(ipv4(ip("10.0.0.53"), ip("10.0.0.1"), 17, udp(53, 5000, "answer"))), 2 * kNsPerSec);
  table->advance(11 * kNsPerSec);
  EXPECT_TRUE(observer.ended.empty());
  table->advance(13 * kNsPerSec);
  ASSERT_EQ(observer.ended.size(), 1u);
  EXPECT_EQ(observer.ended[0].reason, EndReason::kIdleTimeout);
  EXPECT_EQ(observer.ended[0].client, "10.0.0.1:5000");
  EXPECT_EQ(observer.ended[0].bytes[0], 1u);
  EXPECT_EQ(observer.ended[0].bytes[1], 6u);
}

// The same 5-tuple again after a pause longer than the timeout, before any sweep ran: two
// sessions, not one that slept through its timeout (sweeps run once a second of packet time,
// and a packet may come first).
TEST_F(FlowTableTest, APacketAfterTheTimeoutStartsANewSessionEvenBeforeASweep) {
  FlowConfig cfg;
  cfg.udp_idle_timeout_ns = 10 * kNsPerSec;
  make(cfg);
  send(eth(ipv4(ip("10.0.0.1"), ip("10.0.0.53"), 17, udp(5000, 53, "q"))), kNsPerSec);
  send(eth(ipv4(ip("10.0.0.1"), ip("10.0.0.53"), 17, udp(5000, 53, "again"))), 20 * kNsPerSec);
  ASSERT_EQ(observer.ended.size(), 1u);
  EXPECT_EQ(observer.ended[0].reason, EndReason::kIdleTimeout);
  EXPECT_EQ(observer.ended[0].bytes[0], 1u);
  table->flush_all();
  ASSERT_EQ(observer.ended.size(), 2u);
  EXPECT_EQ(observer.ended[1].bytes[0], 5u);
}

TEST_F(FlowTableTest, DnsResponseSeenFirstStillHasTheResolverAsServer) {
  send(eth(ipv4(ip("10.0.0.53"), ip("10.0.0.1"), 17, udp(53, 5000, "answer"))), 1);
  table->flush_all();
  ASSERT_EQ(observer.ended.size(), 1u);
  EXPECT_EQ(observer.ended[0].server, "10.0.0.53:53");
}

TEST_F(FlowTableTest, StragglersAfterCloseStayInTheSession) {
  exchange(40000, 1000, kNsPerSec);
  // A duplicate final ACK one second later: still this session (close linger is 5 s).
  send(tcp4("10.0.0.1", 40000, "10.0.0.2", 80, 1007, 100008, kAck), 2 * kNsPerSec);
  table->advance(20 * kNsPerSec);
  ASSERT_EQ(observer.ended.size(), 1u);
  EXPECT_EQ(observer.ended[0].pkts[0], 6u);
  EXPECT_EQ(observer.ended[0].reason, EndReason::kFin);
}

TEST_F(FlowTableTest, ResetEndsTheSessionAfterTheLinger) {
  send(tcp4("10.0.0.1", 40000, "10.0.0.2", 80, 1000, 0, kSyn), kNsPerSec);
  send(tcp4("10.0.0.2", 80, "10.0.0.1", 40000, 0, 1001, kRst | kAck), kNsPerSec + 1);
  table->advance(3 * kNsPerSec);
  EXPECT_TRUE(observer.ended.empty());
  table->advance(7 * kNsPerSec);
  ASSERT_EQ(observer.ended.size(), 1u);
  EXPECT_EQ(observer.ended[0].reason, EndReason::kRst);
}

TEST_F(FlowTableTest, AbsoluteTimeoutSplitsTheSessionAndReassemblyContinues) {
  FlowConfig cfg;
  cfg.absolute_timeout_ns = 60 * kNsPerSec;
  make(cfg);
  send(tcp4("10.0.0.1", 40000, "10.0.0.2", 22, 1000, 0, kSyn), 0);
  send(tcp4("10.0.0.2", 22, "10.0.0.1", 40000, 5000, 1001, kSyn | kAck), 1);
  send(tcp4("10.0.0.1", 40000, "10.0.0.2", 22, 1001, 5001, kAck | kPsh, "abc"), 30 * kNsPerSec);
  send(tcp4("10.0.0.1", 40000, "10.0.0.2", 22, 1004, 5001, kAck | kPsh, "def"), 61 * kNsPerSec);
  table->flush_all();
  ASSERT_EQ(observer.ended.size(), 2u);
  EXPECT_EQ(observer.ended[0].reason, EndReason::kAbsoluteTimeout);
  EXPECT_EQ(observer.ended[0].c2s, "abc");
  EXPECT_EQ(observer.ended[0].pkts[0] + observer.ended[0].pkts[1], 3u);
  EXPECT_TRUE(observer.ended[1].continued);
  EXPECT_EQ(observer.ended[1].pkts[0], 1u);
  EXPECT_EQ(observer.ended[1].c2s, "def");  // the stream went on in the new session
}

TEST_F(FlowTableTest, FullTableEvictsTheLeastRecentlyActive) {
  FlowConfig cfg;
  cfg.max_flows = 2;
  make(cfg);
  send(eth(ipv4(ip("10.0.0.1"), ip("10.0.0.9"), 17, udp(1001, 53, "a"))), 1);
  send(eth(ipv4(ip("10.0.0.2"), ip("10.0.0.9"), 17, udp(1002, 53, "b"))), 2);
  send(eth(ipv4(ip("10.0.0.1"), ip("10.0.0.9"), 17, udp(1001, 53, "a"))), 3);  // 1 is active again
  send(eth(ipv4(ip("10.0.0.3"), ip("10.0.0.9"), 17, udp(1003, 53, "c"))), 4);
  ASSERT_EQ(observer.ended.size(), 1u);
  EXPECT_EQ(observer.ended[0].client, "10.0.0.2:1002");
  EXPECT_EQ(observer.ended[0].reason, EndReason::kEvicted);
  EXPECT_EQ(table->counters().evictions.get(), 1u);
  EXPECT_EQ(table->size(), 2u);
}

TEST_F(FlowTableTest, VlanSeparatesFlowsUnlessConfiguredOtherwise) {
  const Bytes a =
      ethernet(0x0800, ipv4(ip("10.0.0.1"), ip("10.0.0.9"), 17, udp(1001, 53, "a")), {10});
  const Bytes b =
      ethernet(0x0800, ipv4(ip("10.0.0.9"), ip("10.0.0.1"), 17, udp(53, 1001, "b")), {20});
  send(a, 1);
  send(b, 2);
  table->flush_all();
  EXPECT_EQ(observer.ended.size(), 2u);

  observer.ended.clear();
  FlowConfig cfg;
  cfg.vlan_in_key = false;
  make(cfg);
  send(a, 1);
  send(b, 2);
  table->flush_all();
  EXPECT_EQ(observer.ended.size(), 1u);
}

TEST_F(FlowTableTest, IcmpEchoIsOneSessionPerHostPair) {
  send(eth(ipv4(ip("10.0.0.1"), ip("10.0.0.2"), 1, icmp(8, 0))), 1);
  send(eth(ipv4(ip("10.0.0.2"), ip("10.0.0.1"), 1, icmp(0, 0))), 2);
  table->flush_all();
  ASSERT_EQ(observer.ended.size(), 1u);
  EXPECT_EQ(observer.ended[0].client, "10.0.0.1:0");
  EXPECT_EQ(observer.ended[0].pkts[1], 1u);
}

TEST_F(FlowTableTest, LongSessionsHandOverLocationChunks) {
  FlowConfig cfg;
  cfg.locations_chunk_bytes = 64;
  make(cfg);
  for (int i = 0; i < 200; ++i)
    send(eth(ipv4(ip("10.0.0.1"), ip("10.0.0.9"), 17, udp(1001, 514, "log line"))), i);
  EXPECT_GT(observer.chunks, 3);
}

TEST_F(FlowTableTest, Ipv6SessionsWork) {
  send(eth(ipv6(ip("2001:db8::1"), ip("2001:db8::2"), 6, tcp(40000, 443, 7, 0, kSyn))), 1);
  table->flush_all();
  ASSERT_EQ(observer.ended.size(), 1u);
  EXPECT_EQ(observer.ended[0].server, "2001:db8::2:443");
}

}  // namespace
}  // namespace kagami::flow
