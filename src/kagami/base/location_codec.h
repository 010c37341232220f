#pragma once

#include <cstdint>
#include <vector>

#include "kagami/base/packet_location.h"
#include "kagami/base/varint.h"

namespace kagami {

// Packet locations of one session as a compact byte string: about two bytes per packet.
// Each entry is a varint v: if v is odd, a new file starts (file_id = v >> 1) and the next
// varint is that packet's absolute offset; if v is even, the packet is in the same file at
// previous offset + (v >> 1). Offsets within a file only grow because the archive appends.
class LocationEncoder {
 public:
  void add(PacketLocation loc) {
    if (!started_ || loc.file_id != file_id_ || loc.offset < offset_) {
      put_varint(bytes_, (std::uint64_t{loc.file_id} << 1) | 1);
      put_varint(bytes_, loc.offset);
    } else {
      put_varint(bytes_, (loc.offset - offset_) << 1);
    }
    started_ = true;
    file_id_ = loc.file_id;
    offset_ = loc.offset;
    ++count_;
  }
  std::size_t size_bytes() const { return bytes_.size(); }
  std::uint32_t count() const { return count_; }
  bool empty() const { return count_ == 0; }

  // Hands over the encoded chunk and starts a fresh, self-contained one.
  std::vector<std::uint8_t> take() {
    std::vector<std::uint8_t> out;
    out.swap(bytes_);
    started_ = false;
    count_ = 0;
    return out;
  }
  void clear() {
    bytes_.clear();
    started_ = false;
    count_ = 0;
  }

 private:
  std::vector<std::uint8_t> bytes_;
  std::uint32_t file_id_ = 0;
  std::uint64_t offset_ = 0;
  std::uint32_t count_ = 0;
  bool started_ = false;
};

// Decodes a chunk; false if the bytes are corrupt (the caller reports, never crashes).
inline bool decode_locations(const std::uint8_t* data, std::size_t size,
                             std::vector<PacketLocation>& out) {
  std::size_t pos = 0;
  bool started = false;
  PacketLocation cur;
  while (pos < size) {
    std::uint64_t v;
    if (!get_varint(data, size, pos, v)) return false;
    if (v & 1) {
      if ((v >> 1) > UINT32_MAX) return false;
      cur.file_id = static_cast<std::uint32_t>(v >> 1);
      if (!get_varint(data, size, pos, cur.offset)) return false;
      started = true;
    } else {
      if (!started) return false;
      cur.offset += v >> 1;
    }
    out.push_back(cur);
  }
  return true;
}

}  // namespace kagami
