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

struct PcapRecord {
  TimeNs ts = 0;
  std::uint32_t wire_len = 0;
  ByteView data;  // valid until the next read
};

// Random access to records of an archived classic pcap file, by the offsets the index keeps.
class PcapRecordReader {
 public:
  static Result<std::unique_ptr<PcapRecordReader>> open(const std::string& path);
  ~PcapRecordReader();
  PcapRecordReader(const PcapRecordReader&) = delete;
  PcapRecordReader& operator=(const PcapRecordReader&) = delete;

  int linktype() const { return linktype_; }
  std::uint32_t snaplen() const { return snaplen_; }
  std::uint64_t file_size() const { return file_size_; }

  // The record whose header starts at `offset`.
  Result<PcapRecord> read_at(std::uint64_t offset);

 private:
  PcapRecordReader(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::string path_;
  int linktype_ = 0;
  std::uint32_t snaplen_ = 0;
  bool nano_ = true;
  bool swapped_ = false;
  std::uint64_t file_size_ = 0;
  std::vector<std::uint8_t> buf_;
};

// What a structural walk over a pcap file found.
struct PcapScan {
  int linktype = 0;
  std::uint32_t snaplen = 0;
  std::uint64_t packets = 0;
  std::uint64_t valid_bytes = 0;  // header plus every complete record
  std::uint64_t file_bytes = 0;
  std::uint64_t cut_bytes = 0;  // partial record removed by truncate_tail
  TimeNs first_ts = 0, last_ts = 0;
  Sha256Digest sha256{};  // of the first valid_bytes
};

// Walks every record of a classic pcap file. Used to recover the file a crashed recorder left
// open: its complete records are kept, a partial last record is cut (`truncate_tail`), and the
// result is hashed for sealing.
Result<PcapScan> scan_pcap_file(const std::string& path, bool truncate_tail);

}  // namespace kagami::capture
