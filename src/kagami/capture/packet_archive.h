#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "kagami/base/byte_view.h"
#include "kagami/base/counter.h"
#include "kagami/base/packet_location.h"
#include "kagami/base/result.h"
#include "kagami/base/sha256.h"
#include "kagami/base/time.h"
#include "kagami/capture/pcap_writer.h"
#include "kagami/capture/verbatim_copier.h"

namespace kagami::capture {

struct ArchiveLimits {
  std::uint64_t max_file_bytes = 1ull << 30;       // rotate at this size...
  TimeNs max_file_duration_ns = 3600 * kNsPerSec;  // ...or when a file spans this much time
  // Hashing and disk writes run on two threads of their own, with this much in flight.
  std::size_t write_block_bytes = 4u << 20;
  std::size_t write_blocks = 8;
  // Full blocks bypass the page cache (O_DIRECT) where the file system allows: no kernel
  // copy of every archived byte.
  bool direct_io = true;
  // A classic pcap file is archived as a byte-for-byte copy of itself (one archive file per
  // input file, whatever its size): no copy through user space, and the seal equals the
  // input's own SHA-256. Size and time rotation apply to everything else.
  bool verbatim_import = true;
};

struct ArchiveFileInfo {
  std::uint32_t file_id = 0;
  std::string name;  // relative to the packets directory
  int linktype = 0;  // LINKTYPE_ value in the file header
  std::uint32_t snaplen = 0;
  TimeNs first_ts = 0, last_ts = 0;
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
  Sha256Digest sha256{};
  bool sealed = false;
  std::string note;  // "recovered" for files sealed after a crash
};

class ArchiveListener {
 public:
  virtual ~ArchiveListener() = default;
  virtual void on_archive_opened(const ArchiveFileInfo& file) = 0;
  // The file is closed and hashed; the listener makes the seal durable (manifest).
  virtual Status on_archive_sealed(const ArchiveFileInfo& file) = 0;
  // A write failed (no room, an I/O error): what was written is sealed, frames are dropped
  // and counted until a new file can be opened (tried once a second).
  virtual void on_archive_failed(const std::string& why) { (void)why; }
  // Frames are archived again after a failure; `dropped` were not.
  virtual void on_archive_resumed(std::uint64_t dropped) { (void)dropped; }
};

struct ArchiveCounters {
  Counter packets;
  Counter bytes;
  Counter files_sealed;
  Counter write_stalls;    // the capture thread waited for the disk or the hash
  Counter write_failures;  // files cut short by a failed write (no room, I/O error)
  Counter dropped;         // frames not archived after such a failure (still analysed)
  template <typename F>
  void visit(F&& f) const {
    f("archive.packets", packets);
    f("archive.bytes", bytes);
    f("archive.files_sealed", files_sealed);
    f("archive.write_stalls", write_stalls);
    f("archive.write_failures", write_failures);
    f("archive.dropped", dropped);
  }
};

// The packet archive: every frame read goes here first, decodable or not, into rotating pcap
// files named by file id (00000001.pcap, ...). A file is sealed when it rotates or the
// recorder stops: closed, fsync'ed, hashed, and handed to the listener.
class PacketArchive {
 public:
  PacketArchive(std::string dir, ArchiveLimits limits, std::uint32_t next_file_id,
                ArchiveListener& listener);
  ~PacketArchive();

  // Archives one frame of a source with DLT `dlt`; returns where it went (file id 0: it was
  // not archived, the archive's disk failed; counted in `dropped`).
  Result<PacketLocation> write(int dlt, std::uint32_t snaplen, TimeNs ts, ByteView data,
                               std::uint32_t wire_len);
  // Verbatim import of a classic pcap file (see ArchiveLimits::verbatim_import): after
  // begin_verbatim(), each record is archived by its offset in the input.
  Status begin_verbatim(const std::string& input_path, int dlt, std::uint32_t snaplen);
  Result<PacketLocation> write_verbatim(TimeNs ts, std::uint64_t record_offset,
                                        std::uint64_t record_end);
  Status end_verbatim();
  bool verbatim() const { return verbatim_ != nullptr; }
  bool suspended() const { return suspended_; }

  // Seals the open file if it has grown older than the limit by `now` (an idle live capture).
  Status rotate_if_old(TimeNs now);
  Status flush();
  Status close();

  const ArchiveCounters& counters() const { return counters_; }
  const ArchiveFileInfo& last_sealed() const { return last_sealed_; }

 private:
  Status open_file(int dlt, std::uint32_t snaplen, TimeNs ts);
  Status seal();
  // A write failed: keeps the file's complete records, seals them, and suspends archiving.
  void fail(const std::string& why);
  // Seals what a failure left (when the manifest had no room either, tried again later).
  bool seal_pending();

  std::string dir_;
  ArchiveLimits limits_;
  std::uint32_t next_file_id_;
  ArchiveListener& listener_;
  std::unique_ptr<PcapWriter> writer_;
  std::unique_ptr<VerbatimCopier> verbatim_;
  ArchiveFileInfo current_;
  ArchiveFileInfo last_sealed_;
  int current_dlt_ = -1;
  ArchiveCounters counters_;
  bool suspended_ = false;
  bool resuming_ = false;         // a new file after a failure: the listener hears of it
  std::int64_t retry_at_ms_ = 0;  // monotonic: when to try a new file
  std::uint64_t dropped_at_suspend_ = 0;
  std::unique_ptr<ArchiveFileInfo> pending_seal_;
};

}  // namespace kagami::capture
