#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kagami/capture/packet_source.h"
#include "kagami/capture/pcap_file_source.h"

namespace kagami::capture {

// The store's own sealed packet files read back in the order they were written, each packet
// with its place in them (RawPacket::archived), for `kagami reanalyze`: the recorder analyses
// them again without archiving them again, and sessions point at the same packets.
class ArchiveSource final : public PacketSource {
 public:
  struct File {
    std::uint32_t file_id = 0;
    std::string path;
    std::uint64_t bytes = 0;
  };
  explicit ArchiveSource(std::vector<File> files) : files_(std::move(files)) {}

  NextStatus next(RawPacket& out) override;
  int link_type() const override { return current_ ? current_->link_type() : 1; }
  std::uint32_t snaplen() const override { return current_ ? current_->snaplen() : 65535; }
  std::string name() const override { return "the archive"; }
  SourceStats stats() const override;
  const std::string& error() const override { return error_; }

  // Of the files: how many were opened so far, and their bytes before the one being read.
  std::size_t files_opened() const { return at_; }
  const std::vector<File>& files() const { return files_; }

 private:
  std::vector<File> files_;
  std::size_t at_ = 0;  // the next file to open
  std::unique_ptr<PcapFileSource> current_;
  std::uint32_t current_id_ = 0;
  SourceStats done_;  // of the files already read
  std::string error_;
};

}  // namespace kagami::capture
