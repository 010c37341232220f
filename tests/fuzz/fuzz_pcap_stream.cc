// A pcap-over-IP stream as the recorder reads it from a sender: arbitrary bytes, cut into
// pieces whose sizes the input's first bytes choose.
#include <cstddef>
#include <cstdint>

#include "kagami/capture/pcap_stream.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::size_t piece = 1 + data[0] % 64;
  kagami::capture::PcapStream s;
  kagami::capture::RawPacket r;
  for (std::size_t i = 1; i < size; i += piece) {
    const std::size_t n = size - i < piece ? size - i : piece;
    s.feed(kagami::ByteView(data + i, n));
    while (s.take(r))
      if (r.data.size() > kagami::capture::PcapStream::kMaxRecordBytes) __builtin_trap();
  }
  return 0;
}
