#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kagami {

// LEB128 unsigned varints: compact lists of offsets (packet locations).
inline void put_varint(std::vector<std::uint8_t>& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(v));
}

// Reads one varint at `pos`; false on truncated or over-long input (bad data in a blob).
inline bool get_varint(const std::uint8_t* data, size_t size, size_t& pos, std::uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos >= size) return false;
    const std::uint8_t b = data[pos++];
    v |= std::uint64_t{b & 0x7fu} << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

}  // namespace kagami
