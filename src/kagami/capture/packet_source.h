#pragma once

#include <cstdint>
#include <string>

#include "kagami/base/byte_view.h"
#include "kagami/base/packet_location.h"
#include "kagami/base/result.h"
#include "kagami/base/time.h"

namespace kagami::capture {

// One captured frame as a source hands it out; `data` is valid until the next call to next().
struct RawPacket {
  TimeNs ts = 0;
  ByteView data;
  std::uint32_t wire_len = 0;
  // Classic pcap files: where this record's header starts in the file, while every byte
  // before it is the file header and whole records (kNoOffset after a damaged stretch).
  std::uint64_t file_offset = ~0ull;
  static constexpr std::uint64_t kNoOffset = ~0ull;
  // A source that learns its link type from the stream (pcap-over-IP) says it with each
  // packet; -1: the source's link_type(), fixed from the start.
  int link_type = -1;
  // A packet read back from the store's own archive (reanalysis): where it is there, so it is
  // not archived again (file_id 0: a new packet).
  PacketLocation archived;
};

struct SourceStats {
  std::uint64_t received = 0;        // packets the kernel saw (live) or packets read (file)
  std::uint64_t kernel_dropped = 0;  // dropped in the kernel buffer
  std::uint64_t interface_dropped = 0;
  std::uint64_t resyncs = 0;          // files: damaged record headers skipped over
  std::uint64_t skipped_bytes = 0;    // files: bytes skipped to reach the next valid record
  std::uint64_t streams = 0;          // pcap-over-IP: sender connections taken
  std::uint64_t streams_refused = 0;  // pcap-over-IP: not pcap, another link type, a lie
  std::uint64_t records_cut = 0;      // pcap-over-IP: records a disconnection cut short
};

enum class NextStatus { kPacket, kTimeout, kEnd, kError };

// A packet source: a pcap/pcapng file, a live interface, ...
class PacketSource {
 public:
  virtual ~PacketSource() = default;
  virtual NextStatus next(RawPacket& out) = 0;
  virtual int link_type() const = 0;  // DLT_ value
  virtual std::uint32_t snaplen() const = 0;
  virtual std::string name() const = 0;
  virtual SourceStats stats() const = 0;
  // Why next() returned kError (or why a file ended early).
  virtual const std::string& error() const = 0;
  // A classic pcap file the archive may copy byte for byte (see VerbatimCopier); empty if not.
  virtual std::string verbatim_path() const { return {}; }
  // Makes a blocked next() return soon (safe from another thread or a signal handler).
  virtual void break_loop() {}
};

}  // namespace kagami::capture
