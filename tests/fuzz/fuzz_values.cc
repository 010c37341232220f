// Small parsers of untrusted text and bytes: packet-location blobs from the index, user
// times and address prefixes from the command line.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "kagami/base/ip_address.h"
#include "kagami/base/location_codec.h"
#include "kagami/base/time.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<kagami::PacketLocation> out;
  (void)kagami::decode_locations(data, size, out);
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto t = kagami::parse_time(text); t.ok()) (void)kagami::format_time_iso(t.value(), 9);
  if (auto p = kagami::IpPrefix::parse(text); p.ok()) {
    if (p->last < p->first) __builtin_trap();
  }
  return 0;
}
