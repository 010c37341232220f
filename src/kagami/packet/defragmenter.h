#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "kagami/base/counter.h"
#include "kagami/base/packet_location.h"
#include "kagami/base/time.h"
#include "kagami/packet/packet.h"

namespace kagami::packet {

struct DefragLimits {
  std::size_t max_bytes = 64u << 20;   // fragment data held for all datagrams together
  TimeNs timeout_ns = 30 * kNsPerSec;  // from a datagram's first fragment (Linux ipfrag_time)
  std::size_t max_datagrams = 16384;
  std::size_t max_fragments = 256;  // per datagram; more is an attack, not a network
};

struct DefragCounters {
  Counter fragments;
  Counter completed;
  Counter timed_out;
  Counter evicted;            // dropped to stay within max_bytes / max_datagrams
  Counter overlaps;           // fragments that overlapped bytes already received
  Counter overlap_conflicts;  // ... with different data
  Counter too_many_fragments;
  Counter oversize;   // would rebuild to more than 65535 bytes
  Counter truncated;  // a fragment was cut by the snap length: cannot be rebuilt
  Counter malformed;

  template <typename F>
  void visit(F&& f) const {
    f("defrag.fragments", fragments);
    f("defrag.completed", completed);
    f("defrag.timed_out", timed_out);
    f("defrag.evicted", evicted);
    f("defrag.overlaps", overlaps);
    f("defrag.overlap_conflicts", overlap_conflicts);
    f("defrag.too_many_fragments", too_many_fragments);
    f("defrag.oversize", oversize);
    f("defrag.truncated", truncated);
    f("defrag.malformed", malformed);
  }
};

// IPv4 (RFC 791) and IPv6 (RFC 8200) fragment reassembly, bounded in time and memory.
//
// Overlap policy, for both versions: the first copy of a byte wins. A later fragment's
// overlapping bytes are ignored, counted, and compared; a difference is counted as a conflict
// and the rebuilt datagram is flagged. (Receivers differ: RFC 5722 tells IPv6 hosts to drop
// such datagrams entirely, and modern Linux drops IPv4 ones too. Keeping the first copy keeps
// the evidence; the flag tells the investigator a receiver may have seen something else.)
class Defragmenter {
 public:
  struct Completed {
    ByteView ip_packet;                      // rebuilt IP packet, header included
    std::span<const PacketLocation> pieces;  // archive location of every fragment
    bool overlap_conflict = false;
  };

  explicit Defragmenter(DefragLimits limits) : limits_(limits) {}
  ~Defragmenter();

  // Adds a fragment (a Packet with is_fragment set). When it completes a datagram, returns the
  // rebuilt packet; the views stay valid until the next call to add().
  const Completed* add(const Packet& fragment, PacketLocation where);

  // Drops datagrams whose first fragment is older than the timeout.
  void expire(TimeNs now);

  std::size_t bytes_held() const { return bytes_held_; }
  std::size_t datagrams_held() const { return table_.size(); }
  const DefragCounters& counters() const { return counters_; }

 private:
  struct Key {
    IpAddress src, dst;
    std::uint32_t id = 0;
    std::uint16_t vlan = 0;
    std::uint8_t version = 0;
    std::uint8_t proto = 0;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const;
  };
  struct Range {
    std::uint32_t begin, end;
  };
  struct Datagram {
    Key key;
    TimeNs first_ts = 0;
    std::vector<std::uint8_t> header;  // IP header (IPv6: unfragmentable part) of fragment 0
    std::uint32_t v6_nh_field = 0;     // where, in header, the next-header byte to patch is
    std::uint8_t v6_next_header = 0;
    std::vector<std::uint8_t> data;    // fragmentable part, indexed by fragment offset
    std::vector<Range> ranges;         // received, sorted and merged
    std::uint32_t total = UINT32_MAX;  // known once the last fragment arrived
    std::vector<PacketLocation> pieces;
    bool conflict = false;
    bool truncated = false;
    std::list<Datagram*>::iterator age_pos;
  };

  void drop(Datagram* d);
  bool complete(const Datagram& d) const;
  void rebuild(const Datagram& d);

  DefragLimits limits_;
  DefragCounters counters_;
  std::unordered_map<Key, std::unique_ptr<Datagram>, KeyHash> table_;
  std::list<Datagram*> by_age_;  // oldest first
  std::size_t bytes_held_ = 0;
  std::vector<std::uint8_t> out_;
  std::vector<PacketLocation> out_pieces_;
  Completed completed_;
};

}  // namespace kagami::packet
