#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kagami/base/result.h"
#include "kagami/mirror/frame_batch.h"

namespace kagami::mirror {

// A pcap-over-IP server (the Arkime/NetworkMiner convention: a TCP stream that is a pcap
// file): each client that connects gets the pcap header, then every frame from then on.
// Driven by the mirror thread, never blocking it: a client that reads too slowly loses whole
// batches (counted) once `max_pending_bytes` are waiting for it.
class PcapOverIpServer {
 public:
  // `listen`: "ADDR:PORT" (numeric; port 0 picks one).
  static Result<std::unique_ptr<PcapOverIpServer>> start(const std::string& listen,
                                                         std::size_t max_pending_bytes);
  ~PcapOverIpServer();
  PcapOverIpServer(const PcapOverIpServer&) = delete;
  PcapOverIpServer& operator=(const PcapOverIpServer&) = delete;

  void accept_clients();
  void send(const FrameBatch& batch);
  void flush();  // sends what waits, drops clients that went away
  std::uint16_t port() const { return port_; }
  std::size_t clients() const { return clients_.size(); }
  std::uint64_t dropped_packets() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  struct Client {
    int fd = -1;
    std::vector<std::uint8_t> pending;
    std::size_t sent = 0;
  };
  PcapOverIpServer(int fd, std::uint16_t port, std::size_t max_pending)
      : fd_(fd), port_(port), max_pending_(max_pending) {}
  int fd_;
  std::uint16_t port_;
  std::size_t max_pending_;
  std::vector<std::unique_ptr<Client>> clients_;
  std::atomic<std::uint64_t> dropped_{0};
};

}  // namespace kagami::mirror
