#pragma once

#include <memory>
#include <string>

#include "kagami/capture/packet_source.h"

typedef struct pcap pcap_t;

namespace kagami::capture {

// Reads a pcap or pcapng file with libpcap, nanosecond timestamps.
class PcapFileSource final : public PacketSource {
 public:
  static Result<std::unique_ptr<PcapFileSource>> open(const std::string& path);
  ~PcapFileSource() override;

  NextStatus next(RawPacket& out) override;
  int link_type() const override { return link_type_; }
  std::uint32_t snaplen() const override { return snaplen_; }
  std::string name() const override { return path_; }
  SourceStats stats() const override { return SourceStats{read_, 0, 0}; }
  const std::string& error() const override { return error_; }

 private:
  PcapFileSource(pcap_t* p, std::string path);
  pcap_t* pcap_ = nullptr;
  std::string path_;
  int link_type_ = 0;
  std::uint32_t snaplen_ = 0;
  std::uint64_t read_ = 0;
  std::string error_;
};

}  // namespace kagami::capture
