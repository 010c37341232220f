#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kagami/base/byte_view.h"
#include "kagami/capture/packet_source.h"

namespace kagami::capture {

// A classic pcap file arriving as a byte stream (a pcap-over-IP connection: PolarProxy,
// Arkime, Kagami's own proxy, `tcpdump -w - | nc`), cut anywhere by the network: the 24-byte
// header (either byte order, micro- or nanosecond times), then records. Anything that is not
// that (pcapng, garbage, a record longer than any frame) fails the stream with a reason; the
// stream cannot be resynchronised, since a length that lies leaves no way to find the next
// record.
class PcapStream {
 public:
  static constexpr std::uint32_t kMaxRecordBytes = 256u << 10;  // the largest snap length used

  void feed(ByteView bytes);
  // The next complete record; valid until the next feed() or take(). False: none yet, or the
  // stream failed.
  bool take(RawPacket& out);

  bool has_header() const { return header_; }
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  int link_type() const { return link_type_; }
  std::uint32_t snaplen() const { return snaplen_; }
  // Bytes of a record not complete yet (lost if the stream ends now).
  std::size_t pending() const { return buf_.size() - at_; }

 private:
  bool read_header();
  std::uint32_t u32(std::size_t at) const;

  std::vector<std::uint8_t> buf_;
  std::size_t at_ = 0;
  bool header_ = false, swapped_ = false, nano_ = false;
  int link_type_ = 0;
  std::uint32_t snaplen_ = 0;
  std::string error_;
};

}  // namespace kagami::capture
