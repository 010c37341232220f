#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "kagami/base/result.h"
#include "kagami/base/sha256.h"
#include "kagami/base/spsc_queue.h"

namespace kagami::capture {

// Makes an archive file a byte-for-byte copy of a classic pcap input file, behind the reader
// and without copying through user space: a hashing thread maps each chunk of the input the
// reader has finished with and hashes it, then an I/O thread writes that same mapping with
// O_DIRECT, straight from the page cache. Offsets in the copy equal offsets in the input, and
// a complete copy's SHA-256 equals the input file's.
class VerbatimCopier {
 public:
  struct Options {
    std::size_t chunk_bytes = 4u << 20;  // multiple of 4 KiB
    std::size_t chunks_in_flight = 8;    // mapped, hashed, not yet written
    bool direct_io = true;
  };

  static Result<std::unique_ptr<VerbatimCopier>> create(const std::string& out_path,
                                                        const std::string& input_path,
                                                        const Options& options);
  ~VerbatimCopier();
  VerbatimCopier(const VerbatimCopier&) = delete;
  VerbatimCopier& operator=(const VerbatimCopier&) = delete;

  // Bytes [0, end) of the input are whole records the reader has passed.
  void advance(std::uint64_t end) { end_.store(end, std::memory_order_release); }
  std::uint64_t size() const { return end_.load(std::memory_order_relaxed); }
  bool failed() const { return failed_.load(std::memory_order_relaxed); }

  // Copies and hashes up to the last advance(), fsyncs, closes; the SHA-256 of the copy.
  Result<Sha256Digest> close();

 private:
  VerbatimCopier(const Options& o) : options_(o) {}
  struct Chunk {
    const std::uint8_t* data = nullptr;  // a mapping of the input, page aligned
    std::size_t len = 0;
    std::uint64_t offset = 0;
    bool last = false;
  };
  void hash_loop();
  void write_loop();
  void fail(const std::string& what);

  Options options_;
  std::string out_path_;
  int in_fd_ = -1;
  int out_fd_ = -1;     // ordinary writes (the tail)
  int direct_fd_ = -1;  // O_DIRECT writes, when the file system allows
  std::atomic<std::uint64_t> end_{0};
  std::atomic<bool> closing_{false};
  std::thread hasher_, writer_;
  std::unique_ptr<SpscQueue<Chunk>> to_write_;
  Sha256 hash_;
  std::mutex error_mutex_;
  std::string error_;
  std::atomic<bool> failed_{false};
};

}  // namespace kagami::capture
