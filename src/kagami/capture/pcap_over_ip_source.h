#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kagami/capture/packet_source.h"
#include "kagami/capture/pcap_stream.h"

namespace kagami::capture {

struct PcapOverIpOptions {
  std::string connect;   // "ADDR:PORT": a sender to connect to, and to reconnect to when it goes
  std::string listen;    // "ADDR:PORT": senders connect here (port 0: any free one)
  int timeout_ms = 100;  // next() returns kTimeout this often when nothing comes
  int first_backoff_ms = 250, max_backoff_ms = 30'000;  // between connection attempts
  std::size_t max_senders = 16;                         // connected at once (listen)
};

// Packets from pcap-over-IP: a TCP stream that is a classic pcap file, as PolarProxy, Arkime,
// Kagami's own proxy (`--mirror pcap-over-ip:`) and `tcpdump -w - | nc` send it. As a client it
// connects to a sender and reconnects with backoff for as long as the recorder runs; as a
// server it takes any number of senders at once. The first stream's link type is the
// source's; a stream of another link type, one that is not pcap, or one whose record header
// lies is refused (closed, counted, said why). A record cut by a disconnection is counted and
// lost; everything before it was handed on.
class PcapOverIpSource final : public PacketSource {
 public:
  static Result<std::unique_ptr<PcapOverIpSource>> open(const PcapOverIpOptions& options);
  ~PcapOverIpSource() override;

  NextStatus next(RawPacket& out) override;
  int link_type() const override { return link_type_; }
  std::uint32_t snaplen() const override { return snaplen_; }
  std::string name() const override { return name_; }
  SourceStats stats() const override { return stats_; }
  const std::string& error() const override { return error_; }
  void break_loop() override;
  // The port senders connect to (listen), for tests and the start-up line.
  std::uint16_t port() const { return port_; }

 private:
  struct Sender {
    int fd = -1;
    bool connecting = false;  // a client connection under way
    bool ended = false;       // closed by the sender; dropped once its records are taken
    std::string peer;
    PcapStream stream;
  };
  PcapOverIpSource() = default;
  void dial();
  void accept_senders();
  // Reads what the sender has; false when it is gone (or refused).
  bool read_from(Sender& s);
  void drop(std::size_t i, const std::string& why, bool refused);
  bool take_from(Sender& s, RawPacket& out);
  // Why a sender's stream cannot join the recording ("" when it can).
  std::string wrong_link(const Sender& s) const;

  PcapOverIpOptions options_;
  std::string name_, error_;
  int listen_fd_ = -1, wake_[2] = {-1, -1};
  std::uint16_t port_ = 0;
  std::vector<std::unique_ptr<Sender>> senders_;
  std::size_t next_sender_ = 0;  // taken from in turn
  bool have_link_ = false;
  int link_type_ = 1;  // Ethernet until a sender says
  std::uint32_t snaplen_ = PcapStream::kMaxRecordBytes;
  std::int64_t next_dial_ms_ = 0;
  int backoff_ms_ = 0;
  SourceStats stats_;
};

}  // namespace kagami::capture
