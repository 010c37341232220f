#pragma once

#include <memory>
#include <string>

#include "kagami/capture/packet_source.h"

typedef struct pcap pcap_t;

namespace kagami::capture {

struct LiveOptions {
  std::string interface;
  std::string bpf_filter;
  std::uint32_t snaplen = 262144;
  std::size_t buffer_bytes = 256u << 20;  // kernel ring: absorbs bursts while we write
  int timeout_ms = 100;                   // next() returns kTimeout this often when idle
  bool promiscuous = true;
};

// Live capture with libpcap: immediate mode, a large buffer, nanosecond timestamps.
class LiveSource final : public PacketSource {
 public:
  static Result<std::unique_ptr<LiveSource>> open(const LiveOptions& options);
  ~LiveSource() override;

  NextStatus next(RawPacket& out) override;
  int link_type() const override { return link_type_; }
  std::uint32_t snaplen() const override { return snaplen_; }
  std::string name() const override { return name_; }
  SourceStats stats() const override;
  const std::string& error() const override { return error_; }
  void break_loop() override;

 private:
  LiveSource(pcap_t* p, std::string name);
  pcap_t* pcap_ = nullptr;
  std::string name_;
  int link_type_ = 0;
  std::uint32_t snaplen_ = 0;
  bool nano_ = true;
  int fd_ = -1;
  int timeout_ms_ = 100;
  std::string error_;
};

}  // namespace kagami::capture
