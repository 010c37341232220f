#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kagami/capture/packet_source.h"

typedef struct pcap pcap_t;

namespace kagami::capture {

// Reads a capture file. Classic pcap (either byte order, micro- or nanosecond) is read by
// Kagami's own reader in large chunks: it is several times faster than libpcap's per-packet
// reads, works on pipes, and when a record header is corrupt it searches forward for the next
// valid record instead of abandoning the rest of the file. pcapng and anything else goes
// through libpcap.
class PcapFileSource final : public PacketSource {
 public:
  static Result<std::unique_ptr<PcapFileSource>> open(const std::string& path);
  ~PcapFileSource() override;

  NextStatus next(RawPacket& out) override;
  int link_type() const override { return link_type_; }
  std::uint32_t snaplen() const override { return snaplen_; }
  std::string name() const override { return path_; }
  SourceStats stats() const override { return SourceStats{read_, 0, 0, resyncs_, skipped_bytes_}; }
  const std::string& error() const override { return error_; }
  bool uses_libpcap() const { return pcap_ != nullptr; }
  std::string verbatim_path() const override { return mapped_ ? path_ : std::string(); }

 private:
  explicit PcapFileSource(std::string path) : path_(std::move(path)) {}
  NextStatus next_libpcap(RawPacket& out);
  NextStatus next_classic(RawPacket& out);
  // `need` bytes at the read position, or nullptr if the file ends before them.
  const std::uint8_t* peek(std::size_t need);
  void advance(std::size_t n);
  std::uint64_t remaining() const;  // bytes left in the file (pipes: those buffered)
  bool fill(std::size_t need);      // read() path: at least `need` bytes buffered
  bool valid_header(const std::uint8_t* h) const;
  bool plausible_header(const std::uint8_t* h) const;
  void decode_header(const std::uint8_t* h, std::uint32_t v[4]) const;

  pcap_t* pcap_ = nullptr;
  int fd_ = -1;
  std::string path_;
  int link_type_ = 0;
  std::uint32_t snaplen_ = 0;
  bool nano_ = false;
  bool swapped_ = false;
  // Regular files are mapped a window at a time (no copy, and memory stays bounded by the
  // window, not the file); pipes are read into a buffer.
  bool mapped_ = false;
  std::uint64_t file_size_ = 0;
  const std::uint8_t* window_ = nullptr;
  std::uint64_t window_start_ = 0;
  std::size_t window_len_ = 0;
  std::vector<std::uint8_t> buf_;
  std::size_t pos_ = 0, end_ = 0;  // unread bytes are buf_[pos_, end_)
  bool eof_ = false;
  std::uint64_t file_offset_ = 0;  // of the read position
  TimeNs last_ts_ = 0;
  std::uint64_t read_ = 0;
  std::string error_;
  std::uint64_t resyncs_ = 0;
  std::uint64_t skipped_bytes_ = 0;
};

}  // namespace kagami::capture
