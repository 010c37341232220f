#include "kagami/capture/pcap_stream.h"

#include <fmt/format.h>

namespace kagami::capture {
namespace {

constexpr std::uint32_t kMicro = 0xa1b2c3d4, kNano = 0xa1b23c4d;
constexpr std::uint32_t kPcapng = 0x0a0d0d0a;

std::uint32_t swap32(std::uint32_t v) { return __builtin_bswap32(v); }

}  // namespace

std::uint32_t PcapStream::u32(std::size_t at) const {
  const std::uint8_t* p = buf_.data() + at;
  const std::uint32_t v = static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
                          static_cast<std::uint32_t>(p[2]) << 16 |
                          static_cast<std::uint32_t>(p[3]) << 24;
  return swapped_ ? swap32(v) : v;
}

void PcapStream::feed(ByteView bytes) {
  if (failed()) return;
  // What was taken is let go before more is kept, so the buffer holds about one record.
  if (at_ > 0) {
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(at_));
    at_ = 0;
  }
  buf_.insert(buf_.end(), bytes.begin(), bytes.end());
}

bool PcapStream::read_header() {
  if (buf_.size() - at_ < 24) return false;
  swapped_ = false;
  const std::uint32_t magic = u32(at_);
  if (magic == kMicro || magic == kNano) {
    nano_ = magic == kNano;
  } else if (swap32(magic) == kMicro || swap32(magic) == kNano) {
    swapped_ = true;
    nano_ = swap32(magic) == kNano;
  } else if (magic == kPcapng) {
    error_ = "the stream is pcapng; pcap-over-IP carries classic pcap";
    return false;
  } else {
    error_ = fmt::format("the stream does not begin with a pcap header (magic {:08x})", magic);
    return false;
  }
  snaplen_ = u32(at_ + 16);
  link_type_ = static_cast<int>(u32(at_ + 20) & 0x0fffffff);  // the upper bits are FCS flags
  at_ += 24;
  header_ = true;
  return true;
}

bool PcapStream::take(RawPacket& out) {
  if (failed()) return false;
  if (!header_ && !read_header()) return false;
  if (buf_.size() - at_ < 16) return false;
  const std::uint32_t sec = u32(at_), frac = u32(at_ + 4), incl = u32(at_ + 8),
                      orig = u32(at_ + 12);
  if (incl > kMaxRecordBytes || (!nano_ && frac >= 1'000'000) || (nano_ && frac >= 1'000'000'000)) {
    error_ = fmt::format("a record header that is not one ({} bytes, fraction {})", incl, frac);
    return false;
  }
  if (buf_.size() - at_ - 16 < incl) return false;
  out.ts = static_cast<TimeNs>(sec) * kNsPerSec +
           (nano_ ? static_cast<TimeNs>(frac) : static_cast<TimeNs>(frac) * 1000);
  out.data = ByteView(buf_.data() + at_ + 16, incl);
  out.wire_len = orig < incl ? incl : orig;
  out.file_offset = RawPacket::kNoOffset;
  at_ += 16 + incl;
  return true;
}

}  // namespace kagami::capture
