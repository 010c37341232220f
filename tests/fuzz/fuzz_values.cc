// Small parsers of untrusted text and bytes: packet-location blobs from the index, user
// times, address prefixes, sizes and durations from the command line and the config.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "kagami/base/ip_address.h"
#include "kagami/base/location_codec.h"
#include "kagami/base/quantity.h"
#include "kagami/base/time.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<kagami::PacketLocation> out;
  (void)kagami::decode_locations(data, size, out);
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto t = kagami::parse_time(text); t.ok()) (void)kagami::format_time_iso(t.value(), 9);
  if (auto p = kagami::IpPrefix::parse(text); p.ok()) {
    if (p->last < p->first) __builtin_trap();
  }
  if (auto b = kagami::parse_size(text); b.ok()) {
    if (b.value() == 0) __builtin_trap();
    (void)kagami::format_size(b.value());
  }
  if (auto d = kagami::parse_duration(text); d.ok()) {
    if (d.value() < kagami::kNsPerSec) __builtin_trap();
    (void)kagami::format_duration(d.value());
  }
  return 0;
}
