#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "kagami/base/byte_view.h"
#include "kagami/base/result.h"
#include "kagami/base/sha256.h"
#include "kagami/base/spsc_queue.h"
#include "kagami/base/time.h"

namespace kagami::capture {

struct PcapWriterOptions {
  std::size_t block_bytes = 4u << 20;  // records are gathered into blocks of this size
  // Background: a hashing thread and an I/O thread take full blocks off the caller, which
  // only copies records; `blocks` bounds the memory in flight. Otherwise everything happens
  // on the caller's thread.
  bool background = false;
  std::size_t blocks = 8;
  // Write full blocks with O_DIRECT (no page-cache copy; needs block_bytes a multiple of
  // 4 KiB). Falls back to ordinary writes where the file system refuses.
  bool direct_io = false;
  bool replace_existing = false;  // the archive never overwrites; an export may
  // The archive and exports seal their files; a pass-through copy (the proxy's mirror) that
  // nobody seals need not spend a core-second per ~1.5 GB on it.
  bool hash = true;
};

// Writes one classic pcap file (nanosecond magic), hashing every byte on its way out so the
// file's SHA-256 is ready the moment it closes.
class PcapWriter {
 public:
  static Result<std::unique_ptr<PcapWriter>> create(const std::string& path, int linktype,
                                                    std::uint32_t snaplen,
                                                    const PcapWriterOptions& options);
  // Synchronous writer with a buffer of `buffer_bytes`.
  static Result<std::unique_ptr<PcapWriter>> create(const std::string& path, int linktype,
                                                    std::uint32_t snaplen, std::size_t buffer_bytes,
                                                    bool replace_existing = false);
  ~PcapWriter();
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  // Appends a record; returns the file offset of its record header. Write errors latch and
  // surface from flush()/close().
  std::uint64_t write(TimeNs ts, ByteView data, std::uint32_t wire_len);

  // Makes every record written so far visible to readers of the file.
  Status flush();
  // Writes everything, fsyncs and closes; returns the SHA-256 of the whole file (all zero
  // when options.hash is off).
  Result<Sha256Digest> close();

  std::uint64_t size() const { return block_offset_ + (current_ ? current_->size : 0); }
  std::uint64_t packets() const { return packets_; }
  const std::string& path() const { return path_; }
  // Times the caller waited for a free block (the disk or the hash fell behind).
  std::uint64_t stalls() const { return stalls_; }
  bool failed() const { return failed_.load(std::memory_order_relaxed); }

 private:
  struct Block {
    std::uint8_t* data = nullptr;
    std::size_t size = 0;
    std::size_t capacity = 0;
    std::uint64_t offset = 0;  // in the file
    bool last = false;
  };

  PcapWriter(int fd, std::string path, const PcapWriterOptions& options);
  bool init_blocks();
  void submit();  // hands current_ on, takes a free block
  Block* take_free();
  void hash_loop();
  void io_loop();
  void write_block(Block& b);
  void fail(const std::string& what);

  int fd_ = -1;
  int plain_fd_ = -1;  // the same file without O_DIRECT: partial flushes and the final tail
  std::string path_;
  PcapWriterOptions options_;
  bool direct_ = false;
  std::vector<Block> blocks_;
  std::vector<std::uint8_t*> memory_;
  Block* current_ = nullptr;
  std::uint64_t block_offset_ = 0;  // file offset of current_
  std::uint64_t packets_ = 0;
  std::uint64_t stalls_ = 0;
  Sha256 hash_;

  // Background pipeline: caller -> hasher (when hashing) -> writer -> free -> caller.
  std::unique_ptr<SpscQueue<Block*>> to_hash_, to_write_, free_;
  std::thread hasher_, writer_;
  std::atomic<int> in_flight_{0};  // blocks handed to the pipeline and not yet written

  std::mutex error_mutex_;
  std::string error_;
  std::atomic<bool> failed_{false};
};

}  // namespace kagami::capture
