#include "kagami/packet/defragmenter.h"

#include <algorithm>
#include <cstring>

namespace kagami::packet {
namespace {
constexpr std::uint32_t kMaxIpPacket = 65535;
}

std::size_t Defragmenter::KeyHash::operator()(const Key& k) const {
  std::uint64_t h = 1469598103934665603ull;
  auto mix = [&h](const std::uint8_t* p, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  };
  mix(k.src.bytes(), 16);
  mix(k.dst.bytes(), 16);
  h ^= (std::uint64_t{k.id} << 24) ^ (std::uint64_t{k.vlan} << 8) ^ k.proto ^
       (std::uint64_t{k.version} << 60);
  return static_cast<std::size_t>(h * 0x9e3779b97f4a7c15ull);
}

Defragmenter::~Defragmenter() = default;

void Defragmenter::drop(Datagram* d) {
  bytes_held_ -= d->data.size() + d->header.size();
  by_age_.erase(d->age_pos);
  const Key key = d->key;  // erase destroys *d
  table_.erase(key);
}

bool Defragmenter::complete(const Datagram& d) const {
  return d.total != UINT32_MAX && !d.header.empty() && d.ranges.size() == 1 &&
         d.ranges[0].begin == 0 && d.ranges[0].end == d.total;
}

void Defragmenter::rebuild(const Datagram& d) {
  out_.assign(d.header.begin(), d.header.end());
  out_.insert(out_.end(), d.data.begin(), d.data.begin() + d.total);
  std::uint8_t* h = out_.data();
  if (d.key.version == 4) {
    store_be16(h + 2, static_cast<std::uint16_t>(out_.size()));
    h[6] &= 0x40;  // keep DF, clear MF and the offset
    h[7] = 0;
    h[10] = h[11] = 0;  // checksum no longer meaningful; nothing downstream checks it
  } else {
    h[d.v6_nh_field] = d.v6_next_header;
    store_be16(h + 4, static_cast<std::uint16_t>(out_.size() - 40));
  }
}

const Defragmenter::Completed* Defragmenter::add(const Packet& f, PacketLocation where) {
  ++counters_.fragments;
  const std::uint32_t wire_len = f.l4_wire_len;
  const std::uint32_t begin = f.frag_offset;
  const std::uint32_t end = begin + wire_len;
  // Every fragment but the last must carry a multiple of 8 bytes (RFC 791, RFC 8200).
  if ((f.frag_more && wire_len % 8 != 0) || (f.frag_more && wire_len == 0)) {
    ++counters_.malformed;
    return nullptr;
  }

  Key key;
  key.src = f.src_ip;
  key.dst = f.dst_ip;
  key.id = f.frag_id;
  key.vlan = f.vlan_outer;
  key.version = f.ip_version;
  key.proto = f.ip_version == 4 ? f.ip_proto : 0;

  auto it = table_.find(key);
  Datagram* d;
  if (it == table_.end()) {
    if (table_.size() >= limits_.max_datagrams && !by_age_.empty()) {
      ++counters_.evicted;
      drop(by_age_.front());
    }
    auto owned = std::make_unique<Datagram>();
    d = owned.get();
    d->key = key;
    d->first_ts = f.ts;
    by_age_.push_back(d);
    d->age_pos = std::prev(by_age_.end());
    table_.emplace(key, std::move(owned));
  } else {
    d = it->second.get();
  }

  if (d->pieces.size() >= limits_.max_fragments) {
    ++counters_.too_many_fragments;
    drop(d);
    return nullptr;
  }
  const std::uint32_t header_len =
      f.ip_version == 4 ? f.l4_offset - f.ip_offset : f.v6_frag_header - f.ip_offset;
  if (end + header_len > kMaxIpPacket || (d->total != UINT32_MAX && end > d->total) ||
      (!f.frag_more && d->total != UINT32_MAX && end != d->total)) {
    ++(end + header_len > kMaxIpPacket ? counters_.oversize : counters_.malformed);
    drop(d);
    return nullptr;
  }
  d->pieces.push_back(where);

  const std::uint32_t captured = static_cast<std::uint32_t>(std::min<std::size_t>(
      wire_len, f.frame.size() > f.l4_offset ? f.frame.size() - f.l4_offset : 0));
  if (captured < wire_len) d->truncated = true;

  if (!f.frag_more) {
    d->total = end;
    // Data received beyond the end is inconsistent: the datagram cannot be trusted.
    if (!d->ranges.empty() && d->ranges.back().end > end) {
      ++counters_.malformed;
      drop(d);
      return nullptr;
    }
  }
  if (begin == 0 && d->header.empty() && f.frame.size() >= f.ip_offset + header_len) {
    d->header.assign(f.frame.begin() + f.ip_offset, f.frame.begin() + f.ip_offset + header_len);
    if (f.ip_version == 6) {
      d->v6_nh_field = f.v6_frag_nh_field - f.ip_offset;
      d->v6_next_header = f.ip_proto;
    }
    bytes_held_ += d->header.size();
  }

  // Copy only the bytes nobody sent before (first copy wins); compare the rest.
  if (d->data.size() < end) {
    bytes_held_ += end - d->data.size();
    d->data.resize(end);
  }
  const std::uint8_t* src = f.frame.data() + f.l4_offset;
  const std::uint32_t cap_end = begin + captured;
  std::uint32_t pos = begin;
  bool overlapped = false;
  for (const Range& r : d->ranges) {
    if (r.end <= pos) continue;
    if (r.begin >= end) break;
    if (r.begin > pos) {
      const std::uint32_t stop = std::min(r.begin, cap_end);
      if (stop > pos) std::memcpy(d->data.data() + pos, src + (pos - begin), stop - pos);
    }
    const std::uint32_t ob = std::max(r.begin, pos), oe = std::min(r.end, end);
    overlapped = true;
    const std::uint32_t ce = std::min(oe, cap_end);
    if (ce > ob && std::memcmp(d->data.data() + ob, src + (ob - begin), ce - ob) != 0) {
      if (!d->conflict) ++counters_.overlap_conflicts;
      d->conflict = true;
    }
    pos = oe;
  }
  if (pos < end) {
    const std::uint32_t stop = std::min(end, cap_end);
    if (stop > pos) std::memcpy(d->data.data() + pos, src + (pos - begin), stop - pos);
  }
  if (overlapped) ++counters_.overlaps;

  // Merge [begin, end) into the sorted range list.
  std::vector<Range>& rs = d->ranges;
  auto at = std::lower_bound(rs.begin(), rs.end(), begin,
                             [](const Range& r, std::uint32_t v) { return r.end < v; });
  Range merged{begin, end};
  auto stop = at;
  while (stop != rs.end() && stop->begin <= merged.end) {
    merged.begin = std::min(merged.begin, stop->begin);
    merged.end = std::max(merged.end, stop->end);
    ++stop;
  }
  at = rs.erase(at, stop);
  rs.insert(at, merged);

  if (bytes_held_ > limits_.max_bytes) {
    // Make room by dropping the oldest datagrams, never the one that just grew.
    while (bytes_held_ > limits_.max_bytes && by_age_.front() != d) {
      ++counters_.evicted;
      drop(by_age_.front());
    }
    if (bytes_held_ > limits_.max_bytes) {
      ++counters_.evicted;
      drop(d);
      return nullptr;
    }
  }

  if (!complete(*d)) return nullptr;
  if (d->truncated) {
    ++counters_.truncated;
    drop(d);
    return nullptr;
  }
  ++counters_.completed;
  rebuild(*d);
  out_pieces_.swap(d->pieces);
  completed_.ip_packet = ByteView(out_.data(), out_.size());
  completed_.pieces = std::span<const PacketLocation>(out_pieces_.data(), out_pieces_.size());
  completed_.overlap_conflict = d->conflict;
  drop(d);
  return &completed_;
}

void Defragmenter::expire(TimeNs now) {
  while (!by_age_.empty() && now - by_age_.front()->first_ts > limits_.timeout_ns) {
    ++counters_.timed_out;
    drop(by_age_.front());
  }
}

}  // namespace kagami::packet
