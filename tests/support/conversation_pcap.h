#pragma once
// Writes TCP conversations as a capture a tap would have made (handshake, segments, ACKs, FIN),
// through the mirror's own synthesizer: fixtures for tests that need a recorded store with
// exactly the traffic they name.

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "kagami/base/ip_address.h"
#include "kagami/mirror/frame_batch.h"
#include "kagami/mirror/tcp_synthesizer.h"

namespace kagami::test {

struct Exchange {
  bool from_client = true;
  std::string bytes;
};

struct Conversation {
  std::string client_ip, server_ip;
  std::uint16_t client_port = 0, server_port = 0;
  TimeNs start = 0;
  std::vector<Exchange> exchanges;
};

// False if the file cannot be written.
inline bool write_conversations_pcap(const std::string& path,
                                     const std::vector<Conversation>& conversations) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return false;
  // Classic pcap, nanosecond timestamps, Ethernet.
  const std::uint32_t header[6] = {0xa1b23c4d, 0x00040002, 0, 0, 262144, 1};
  bool ok = std::fwrite(header, sizeof header, 1, f) == 1;
  std::uint32_t isn = 1000;
  for (const Conversation& c : conversations) {
    packet::TcpEnd client{IpAddress::parse(c.client_ip).value(), c.client_port, 0x020000000001};
    packet::TcpEnd server{IpAddress::parse(c.server_ip).value(), c.server_port, 0x020000000002};
    mirror::TcpSynthesizer s(client, server, isn, isn * 7, 1400);
    isn += 100000;
    mirror::FrameBatch batch;
    TimeNs ts = c.start;
    s.open(ts, batch);
    for (const Exchange& e : c.exchanges) {
      ts += 2 * kNsPerMs;
      s.data(ts, e.from_client,
             ByteView(reinterpret_cast<const std::uint8_t*>(e.bytes.data()), e.bytes.size()),
             batch);
    }
    ts += kNsPerMs;
    s.fin(ts, true, batch);
    s.fin(ts + kNsPerMs, false, batch);
    ok = ok && std::fwrite(batch.bytes.data(), 1, batch.bytes.size(), f) == batch.bytes.size();
  }
  return std::fclose(f) == 0 && ok;
}

}  // namespace kagami::test
