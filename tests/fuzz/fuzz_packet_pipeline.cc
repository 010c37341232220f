// Decoder -> defragmenter -> flow table and TCP reassembly, fed arbitrary frames.
// Input: one byte choosing the link type, then frames as [2-byte length][bytes]; every
// fourth frame advances packet time by a lot so timeouts and linger run too.
#include <cstddef>
#include <cstdint>

#include "kagami/flow/flow_table.h"
#include "kagami/packet/decoder.h"
#include "kagami/packet/defragmenter.h"
#include "kagami/packet/link_type.h"

namespace {

class Sink final : public kagami::flow::StreamSink, public kagami::flow::FlowObserver {
 public:
  void on_data(kagami::flow::Direction, kagami::TimeNs, kagami::ByteView b) override {
    for (auto x : b) checksum += x;  // touch every delivered byte (ASan checks the view)
  }
  void on_gap(kagami::flow::Direction, kagami::TimeNs, std::uint64_t n) override { checksum += n; }
  void on_end(kagami::flow::Direction, kagami::TimeNs) override {}
  void on_session_start(kagami::flow::Flow& f) override {
    f.session_id = ++sessions;
    f.sink = this;
  }
  void on_session_end(kagami::flow::Flow& f, kagami::flow::EndReason) override {
    (void)f.locations.take();
  }
  void on_locations_full(kagami::flow::Flow& f) override { (void)f.locations.take(); }
  std::uint64_t checksum = 0, sessions = 0;
};

constexpr int kLinks[] = {kagami::packet::kLinkEthernet,  kagami::packet::kLinkLinuxSll,
                          kagami::packet::kLinkLinuxSll2, kagami::packet::kLinkRaw,
                          kagami::packet::kLinkNull,      kagami::packet::kLinkLoop,
                          kagami::packet::kLinkIpv6,      kagami::packet::kLinkIpv4};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kagami;
  if (size < 1) return 0;
  const int link = kLinks[data[0] % std::size(kLinks)];
  Sink sink;
  flow::FlowConfig cfg;
  cfg.max_flows = 8;
  cfg.locations_chunk_bytes = 32;
  cfg.absolute_timeout_ns = 50 * kNsPerSec;
  flow::ReassemblyLimits rl;
  rl.per_stream_bytes = 4096;
  rl.total_bytes = 16384;
  rl.retain_bytes = 1024;
  rl.overlap = static_cast<flow::OverlapPolicy>(data[0] / 8 % 3);
  flow::FlowTable table(cfg, rl, sink);
  packet::DefragLimits dl;
  dl.max_bytes = 8192;
  dl.max_fragments = 16;
  packet::Defragmenter defrag(dl);
  std::size_t pos = 1;
  TimeNs t = 0;
  std::uint64_t n = 0;
  packet::Packet p, rebuilt;
  while (pos + 2 <= size) {
    const std::size_t len = (static_cast<std::size_t>(data[pos]) << 8 | data[pos + 1]) % 2048;
    pos += 2;
    const std::size_t take = len < size - pos ? len : size - pos;
    const ByteView frame(data + pos, take);
    pos += take;
    t += (++n % 4 == 0) ? 7 * kNsPerSec : kNsPerMs;
    const PacketLocation loc{1, n};
    const auto r = packet::Decoder::decode(link, t, frame,
                                           static_cast<std::uint32_t>(take + (n % 3) * 100), p);
    if (r.status != packet::DecodeStatus::kOk) continue;
    if (p.is_fragment) {
      if (const auto* done = defrag.add(p, loc)) {
        rebuilt = p;
        if (packet::Decoder::decode_ip(done->ip_packet, 0, rebuilt).status ==
                packet::DecodeStatus::kOk &&
            !rebuilt.is_fragment)
          table.process(rebuilt, done->pieces, true, done->overlap_conflict);
      }
      defrag.expire(t);
      continue;
    }
    table.process(p, std::span<const PacketLocation>(&loc, 1));
  }
  table.flush_all();
  if (table.reassembly_budget().used != 0) __builtin_trap();  // every byte held was released
  return 0;
}
