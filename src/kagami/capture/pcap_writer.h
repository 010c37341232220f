#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kagami/base/byte_view.h"
#include "kagami/base/result.h"
#include "kagami/base/sha256.h"
#include "kagami/base/time.h"

namespace kagami::capture {

// Writes one classic pcap file (nanosecond magic) through a large buffer, hashing the bytes
// as they go out so the file's SHA-256 is ready the moment it closes.
class PcapWriter {
 public:
  static Result<std::unique_ptr<PcapWriter>> create(const std::string& path, int linktype,
                                                    std::uint32_t snaplen,
                                                    std::size_t buffer_bytes,
                                                    bool replace_existing = false);
  ~PcapWriter();
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  // Appends a record; returns the file offset of its record header. Write errors latch and
  // surface from flush()/close().
  std::uint64_t write(TimeNs ts, ByteView data, std::uint32_t wire_len);

  // Pushes buffered bytes to the kernel (so readers see them).
  Status flush();
  // Flushes, fsyncs and closes; returns the SHA-256 of the whole file.
  Result<Sha256Digest> close();

  std::uint64_t size() const { return file_offset_ + buffer_.size(); }
  std::uint64_t packets() const { return packets_; }
  const std::string& path() const { return path_; }

 private:
  PcapWriter(int fd, std::string path, std::size_t buffer_bytes);
  void drain();

  int fd_ = -1;
  std::string path_;
  std::vector<std::uint8_t> buffer_;
  std::size_t buffer_limit_;
  std::uint64_t file_offset_ = 0;  // bytes already handed to the kernel
  std::uint64_t packets_ = 0;
  Sha256 hash_;
  std::string error_;
};

}  // namespace kagami::capture
