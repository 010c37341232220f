// Writes a deterministic capture of mixed TCP traffic for benchmarks: many concurrent
// connections (web, TLS, mail, SSH, database ports) with handshakes, request/response
// exchanges of heavy-tailed sizes segmented at 1460 bytes, delayed ACKs, a little
// retransmission and reordering, and FIN teardown; Ethernet framing, nanosecond pcap.
//
//   gen_traffic --bytes 1100000000 --out mixed.pcap [--seed 1] [--concurrency 2000]
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kagami/base/byte_view.h"
#include "kagami/capture/pcap_writer.h"

namespace {

using Bytes = std::vector<std::uint8_t>;
constexpr std::uint32_t kMss = 1460;
constexpr std::uint8_t kFin = 0x01, kSyn = 0x02, kPsh = 0x08, kAck = 0x10;
constexpr std::uint16_t kPorts[] = {80, 443, 443, 443, 25, 22, 8080, 3306, 993, 21};

// Payload bytes come from one random buffer (mostly incompressible) with text headers on top.
std::vector<std::uint8_t> g_noise;

struct Endpoint {
  std::uint32_t ip;
  std::uint16_t port;
  std::uint64_t mac;
};

void put_frame(Bytes& f, const Endpoint& src, const Endpoint& dst, std::uint32_t seq,
               std::uint32_t ack, std::uint8_t flags, const std::uint8_t* payload,
               std::uint32_t len) {
  f.clear();
  f.resize(14 + 20 + 20 + len);
  std::uint8_t* p = f.data();
  for (int i = 0; i < 6; ++i) p[i] = static_cast<std::uint8_t>(dst.mac >> (40 - 8 * i));
  for (int i = 0; i < 6; ++i) p[6 + i] = static_cast<std::uint8_t>(src.mac >> (40 - 8 * i));
  p[12] = 0x08;
  p[13] = 0x00;
  std::uint8_t* ip = p + 14;
  ip[0] = 0x45;
  kagami::store_be16(ip + 2, static_cast<std::uint16_t>(40 + len));
  ip[8] = 64;
  ip[9] = 6;
  kagami::store_be32(ip + 12, src.ip);
  kagami::store_be32(ip + 16, dst.ip);
  std::uint8_t* t = ip + 20;
  kagami::store_be16(t, src.port);
  kagami::store_be16(t + 2, dst.port);
  kagami::store_be32(t + 4, seq);
  kagami::store_be32(t + 8, ack);
  t[12] = 5 << 4;
  t[13] = flags;
  kagami::store_be16(t + 14, 65535);
  if (len) std::memcpy(t + 20, payload, len);
}

class Connection {
 public:
  Connection(std::mt19937_64& rng, std::uint64_t serial) {
    client_.ip = 0x0a000000u | static_cast<std::uint32_t>(rng() % 50000 + 256);
    client_.port = static_cast<std::uint16_t>(32768 + serial % 28000);
    client_.mac = 0x020000000000ull | client_.ip;
    server_.ip = 0xc6120000u | static_cast<std::uint32_t>(rng() % 400 + 1);
    server_.port = kPorts[rng() % std::size(kPorts)];
    server_.mac = 0x02ff00000000ull | server_.ip;
    cseq_ = static_cast<std::uint32_t>(rng());
    sseq_ = static_cast<std::uint32_t>(rng());
    exchanges_ = 1 + static_cast<int>(rng() % 4);
    next_exchange(rng);
  }

  bool done() const { return state_ == kDone; }

  // Appends this connection's next few packets.
  void emit(std::mt19937_64& rng, std::vector<Bytes>& out) {
    auto frame = [&](bool from_client, std::uint8_t flags, const std::uint8_t* pl,
                     std::uint32_t len) {
      out.emplace_back();
      if (from_client) {
        // A pure SYN acknowledges nothing (RFC 9293: ACK flag clear, field zero).
        put_frame(out.back(), client_, server_, cseq_, (flags & kAck) ? sseq_ : 0, flags, pl, len);
        cseq_ += len + ((flags & (kSyn | kFin)) ? 1 : 0);
      } else {
        put_frame(out.back(), server_, client_, sseq_, cseq_, flags, pl, len);
        sseq_ += len + ((flags & (kSyn | kFin)) ? 1 : 0);
      }
    };
    switch (state_) {
      case kSyn:
        frame(true, kSyn, nullptr, 0);
        frame(false, kSyn | kAck, nullptr, 0);
        frame(true, kAck, nullptr, 0);
        state_ = kRequest;
        return;
      case kRequest:
      case kResponse: {
        const bool from_client = state_ == kRequest;
        std::uint64_t& left = from_client ? request_left_ : response_left_;
        for (int i = 0; i < 2 && left > 0; ++i) {
          const std::uint32_t len = static_cast<std::uint32_t>(left < kMss ? left : kMss);
          const std::size_t off = rng() % (g_noise.size() - kMss);
          frame(from_client, kAck | (left == len ? kPsh : 0), g_noise.data() + off, len);
          left -= len;
          if (rng() % 200 == 0) {  // a retransmission of that segment
            Bytes copy = out.back();
            out.push_back(std::move(copy));
          } else if (rng() % 200 == 0 && out.size() >= 2) {  // reordered with the previous one
            std::swap(out[out.size() - 1], out[out.size() - 2]);
          }
        }
        frame(!from_client, kAck, nullptr, 0);  // delayed ACK for every two segments
        if (left == 0) {
          if (from_client) {
            state_ = kResponse;
          } else if (--exchanges_ > 0) {
            next_exchange(rng);
            state_ = kRequest;
          } else {
            state_ = kClose;
          }
        }
        return;
      }
      case kClose:
        frame(true, kFin | kAck, nullptr, 0);
        frame(false, kFin | kAck, nullptr, 0);
        frame(true, kAck, nullptr, 0);
        state_ = kDone;
        return;
      case kDone:
        return;
    }
  }

 private:
  enum State { kSyn, kRequest, kResponse, kClose, kDone };
  void next_exchange(std::mt19937_64& rng) {
    request_left_ = 80 + rng() % 1400;
    const std::uint64_t r = rng() % 1000;
    if (r < 600) {
      response_left_ = 200 + rng() % 4000;
    } else if (r < 900) {
      response_left_ = 4096 + rng() % 60000;
    } else if (r < 990) {
      response_left_ = 65536 + rng() % 1000000;
    } else {
      response_left_ = 1000000 + rng() % 19000000;
    }
  }
  Endpoint client_{}, server_{};
  std::uint32_t cseq_ = 0, sseq_ = 0;
  int exchanges_ = 1;
  std::uint64_t request_left_ = 0, response_left_ = 0;
  State state_ = kSyn;
};

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t target = 1ull << 30;
  std::string out = "mixed.pcap";
  std::uint64_t seed = 1;
  std::size_t concurrency = 2000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--bytes")
      target = std::stoull(v);
    else if (k == "--out")
      out = v;
    else if (k == "--seed")
      seed = std::stoull(v);
    else if (k == "--concurrency")
      concurrency = std::stoull(v);
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  std::mt19937_64 rng(seed);
  g_noise.resize(1 << 22);
  for (auto& b : g_noise) b = static_cast<std::uint8_t>(rng());
  auto writer = kagami::capture::PcapWriter::create(out, 1, 65535, 4u << 20, true);
  if (!writer) {
    std::fprintf(stderr, "%s\n", writer.error().message.c_str());
    return 1;
  }
  std::vector<Connection> live;
  std::uint64_t serial = 0;
  for (std::size_t i = 0; i < concurrency; ++i) live.emplace_back(rng, serial++);
  kagami::TimeNs t = 1'800'000'000ll * 1'000'000'000ll;
  std::vector<Bytes> frames;
  std::uint64_t packets = 0, connections = concurrency;
  while (writer.value()->size() < target) {
    const std::size_t i = rng() % live.size();
    frames.clear();
    live[i].emit(rng, frames);
    for (const Bytes& f : frames) {
      t += 2000 + static_cast<kagami::TimeNs>(rng() % 6000);
      (void)writer.value()->write(t, kagami::ByteView(f.data(), f.size()),
                                  static_cast<std::uint32_t>(f.size()));
      ++packets;
    }
    if (live[i].done()) {
      live[i] = Connection(rng, serial++);
      ++connections;
    }
  }
  const auto size = writer.value()->size();
  if (auto s = writer.value()->close(); !s) {
    std::fprintf(stderr, "%s\n", s.error().message.c_str());
    return 1;
  }
  std::printf("%s: %llu packets, %llu bytes, %llu connections started\n", out.c_str(),
              static_cast<unsigned long long>(packets), static_cast<unsigned long long>(size),
              static_cast<unsigned long long>(connections));
  return 0;
}
