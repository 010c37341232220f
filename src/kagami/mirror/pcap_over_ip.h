#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kagami/base/ip_address.h"
#include "kagami/base/result.h"
#include "kagami/base/tls_server_context.h"
#include "kagami/mirror/frame_batch.h"

typedef struct ssl_st SSL;

namespace kagami::mirror {

// Who may read the stream, and how.
struct PcapOverIpOptions {
  std::string listen;  // "ADDR:PORT" (numeric; port 0 picks one)
  // Receivers allowed to connect (CIDR): the stream is every client's plaintext, so nobody is
  // let in who is not named; start() refuses an empty list.
  std::vector<std::string> receivers;
  // TLS: with a certificate and key the stream is TLS 1.2+ (AEAD suites); with a client CA as
  // well, a receiver must show a certificate that CA signed.
  std::string tls_cert, tls_key, client_ca;
  std::size_t max_pending_bytes = 16u << 20;  // per receiver, before batches drop
  std::size_t max_receivers = 16;
  std::int64_t handshake_timeout_ms = 10'000;
};

// A pcap-over-IP server (the Arkime/NetworkMiner convention: a TCP stream that is a pcap
// file): each receiver that connects gets the pcap header, then every frame from then on.
// Driven by the mirror thread, never blocking it: a receiver that reads too slowly loses
// whole batches (counted) once `max_pending_bytes` are waiting for it.
class PcapOverIpServer {
 public:
  static Result<std::unique_ptr<PcapOverIpServer>> start(const PcapOverIpOptions& options);
  ~PcapOverIpServer();
  PcapOverIpServer(const PcapOverIpServer&) = delete;
  PcapOverIpServer& operator=(const PcapOverIpServer&) = delete;

  void accept_clients();
  void send(const FrameBatch& batch);
  void flush();  // sends what waits, drops receivers that went away
  std::uint16_t port() const { return port_; }
  std::size_t clients() const { return clients_.size(); }
  std::uint64_t dropped_packets() const { return dropped_.load(std::memory_order_relaxed); }
  // Connections refused: an address not allowed, too many receivers, a failed TLS handshake.
  std::uint64_t refused() const { return refused_.load(std::memory_order_relaxed); }

 private:
  struct Client {
    int fd = -1;
    SSL* ssl = nullptr;  // owned; null without TLS
    bool handshaking = false;
    std::int64_t deadline_ms = 0;
    std::string peer;
    std::vector<std::uint8_t> pending;
    std::size_t sent = 0;
    ~Client();
  };
  PcapOverIpServer() = default;
  bool handshake(Client& c);  // false: the receiver is gone
  bool write_pending(Client& c);

  PcapOverIpOptions options_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::vector<IpPrefix> receivers_;
  TlsContext ctx_;  // null: plain TCP
  std::vector<std::unique_ptr<Client>> clients_;
  std::atomic<std::uint64_t> dropped_{0}, refused_{0};
};

}  // namespace kagami::mirror
