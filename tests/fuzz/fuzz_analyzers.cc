// Every protocol analyzer behind content detection, fed a scripted conversation: detection,
// HTTP/1 (bodies, chunking, gzip/deflate/brotli, multipart), SMTP/POP3/IMAP (MIME with
// GMime), FTP, DNS and TLS (handshakes, certificates). Input: [server port: 2][transport: 1]
// then steps of [op: 1][length: 2][bytes]; op bit 0 is the direction, bits 1-2 choose data,
// gap or end.
#include <cstddef>
#include <cstdint>

#include "unit/analyzers/harness.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kagami;
  if (size < 3) return 0;
  testing::AnalyzerHarness h;
  h.limits.max_buffer_bytes = 64u << 10;  // small bounds: reach the limit paths quickly
  h.limits.max_message_bytes = 256u << 10;
  h.limits.message_memory_bytes = 4096;
  const std::uint16_t port = static_cast<std::uint16_t>(data[0] << 8 | data[1]);
  auto s = (data[2] & 1) ? h.udp(port) : h.tcp(port);
  std::size_t i = 3;
  TimeNs ts = 1'000'000'000;
  while (i + 3 <= size) {
    const std::uint8_t op = data[i];
    const std::size_t len = static_cast<std::size_t>(data[i + 1] << 8 | data[i + 2]);
    i += 3;
    const ByteView bytes(data + i, std::min(len, size - i));
    i += bytes.size();
    const flow::Direction dir = (op & 1) ? testing::kS2C : testing::kC2S;
    ts += 1000;
    switch ((op >> 1) & 3) {
      case 0:
      case 1:
        if (data[2] & 1)
          s->on_datagram(dir, ts, bytes);
        else
          s->on_data(dir, ts, bytes);
        break;
      case 2:
        s->on_gap(dir, ts, 1 + bytes.size() * 100);
        break;
      case 3:
        s->on_end(dir, ts);
        break;
    }
  }
  s->close(ts + 1);
  return 0;
}
