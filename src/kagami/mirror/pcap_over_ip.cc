#include "kagami/mirror/pcap_over_ip.h"

#include <cerrno>
#include <chrono>
#include <cstring>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kagami/base/openssl_errors.h"
#include "kagami/base/tcp_listener.h"
#include "kagami/base/time.h"
#include "kagami/base/tls_server_context.h"

namespace kagami::mirror {
namespace {

constexpr std::uint32_t kNanosecondMagic = 0xa1b23c4d;
constexpr std::uint32_t kSnaplen = 262144;
constexpr std::uint32_t kLinktypeEthernet = 1;
constexpr std::uint64_t kLoggedRefusals = 100;  // then only counted

IpAddress peer_address(const sockaddr_storage& a) {
  if (a.ss_family == AF_INET)
    return IpAddress::v4(
        reinterpret_cast<const std::uint8_t*>(&reinterpret_cast<const sockaddr_in&>(a).sin_addr));
  return IpAddress::v6(
      reinterpret_cast<const std::uint8_t*>(&reinterpret_cast<const sockaddr_in6&>(a).sin6_addr));
}

}  // namespace

PcapOverIpServer::Client::~Client() {
  if (ssl != nullptr) SSL_free(ssl);
  if (fd >= 0) ::close(fd);
}

Result<std::unique_ptr<PcapOverIpServer>> PcapOverIpServer::start(const PcapOverIpOptions& o) {
  std::unique_ptr<PcapOverIpServer> s(new PcapOverIpServer());
  s->options_ = o;
  if (o.receivers.empty())
    return make_error(
        "pcap-over-ip: name the receivers allowed to read the stream (--mirror-receiver CIDR): "
        "it carries every client's decrypted traffic");
  for (const std::string& r : o.receivers) {
    auto p = IpPrefix::parse(r);
    if (!p) return make_error("pcap-over-ip receiver '{}': {}", r, p.error().message);
    s->receivers_.push_back(*p);
  }
  if (o.tls_cert.empty() != o.tls_key.empty())
    return make_error("pcap-over-ip: give both a TLS certificate and its key");
  if (!o.client_ca.empty() && o.tls_cert.empty())
    return make_error("pcap-over-ip: client certificates need TLS (a certificate and key)");
  if (!o.tls_cert.empty()) {
    auto ctx = make_tls_server_context(o.tls_cert, o.tls_key, o.client_ca);
    if (!ctx) return make_error("pcap-over-ip: {}", ctx.error().message);
    s->ctx_ = std::move(ctx.value());
  }
  ListenOptions lo;
  lo.backlog = 16;
  auto fd = listen_tcp(o.listen, lo);
  if (!fd) return make_error("pcap-over-ip: {}", fd.error().message);
  s->fd_ = *fd;
  s->port_ = bound_port(*fd);
  return s;
}

PcapOverIpServer::~PcapOverIpServer() {
  clients_.clear();
  if (fd_ >= 0) ::close(fd_);
}

void PcapOverIpServer::accept_clients() {
  while (true) {
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    const int fd =
        ::accept4(fd_, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    auto c = std::make_unique<Client>();
    c->fd = fd;
    const IpAddress ip = peer_address(peer);
    c->peer = ip.to_string();
    bool allowed = false;
    for (const IpPrefix& p : receivers_) allowed = allowed || p.contains(ip);
    const char* why = !allowed                                    ? "not an allowed receiver"
                      : clients_.size() >= options_.max_receivers ? "too many receivers"
                                                                  : nullptr;
    if (why != nullptr) {
      if (refused_.fetch_add(1, std::memory_order_relaxed) < kLoggedRefusals)
        spdlog::warn("mirror: pcap-over-ip: {} refused: {}", c->peer, why);
      continue;  // closed by the Client's destructor
    }
    if (ctx_) {
      c->ssl = SSL_new(ctx_.get());
      if (c->ssl == nullptr || SSL_set_fd(c->ssl, fd) != 1) {
        refused_.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      SSL_set_accept_state(c->ssl);
      c->handshaking = true;
      c->deadline_ms = monotonic_ms() + options_.handshake_timeout_ms;
    }
    spdlog::info("mirror: pcap-over-ip: receiver {} connected{}", c->peer,
                 ctx_ ? " (TLS handshake)" : "");
    // The pcap file header, as written on the host (readers take either byte order).
    const std::uint32_t h[6] = {kNanosecondMagic, 2u | (4u << 16),  0, 0,
                                kSnaplen,         kLinktypeEthernet};
    const auto* b = reinterpret_cast<const std::uint8_t*>(h);
    c->pending.assign(b, b + sizeof h);
    clients_.push_back(std::move(c));
  }
}

void PcapOverIpServer::send(const FrameBatch& batch) {
  for (auto& c : clients_) {
    if (c->pending.size() - c->sent + batch.bytes.size() > options_.max_pending_bytes) {
      dropped_.fetch_add(batch.packets, std::memory_order_relaxed);  // whole records only
      continue;
    }
    c->pending.insert(c->pending.end(), batch.bytes.begin(), batch.bytes.end());
  }
  flush();
}

bool PcapOverIpServer::handshake(Client& c) {
  ERR_clear_error();
  const int rc = SSL_do_handshake(c.ssl);
  if (rc == 1) {
    c.handshaking = false;
    spdlog::info("mirror: pcap-over-ip: receiver {} on {}", c.peer, SSL_get_version(c.ssl));
    return true;
  }
  const int e = SSL_get_error(c.ssl, rc);
  if ((e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) && monotonic_ms() < c.deadline_ms)
    return true;
  if (refused_.fetch_add(1, std::memory_order_relaxed) < kLoggedRefusals)
    spdlog::warn("mirror: pcap-over-ip: {} refused: TLS handshake: {}", c.peer,
                 monotonic_ms() >= c.deadline_ms ? std::string("timed out") : openssl_errors());
  return false;
}

bool PcapOverIpServer::write_pending(Client& c) {
  while (c.sent < c.pending.size()) {
    const std::size_t want = c.pending.size() - c.sent;
    if (c.ssl != nullptr) {
      ERR_clear_error();
      const int n = SSL_write(c.ssl, c.pending.data() + c.sent,
                              static_cast<int>(std::min<std::size_t>(want, 1u << 20)));
      if (n > 0) {
        c.sent += static_cast<std::size_t>(n);
        continue;
      }
      const int e = SSL_get_error(c.ssl, n);
      return e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ;
    }
    const ssize_t n = ::send(c.fd, c.pending.data() + c.sent, want, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      c.sent += static_cast<std::size_t>(n);
      continue;
    }
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
  }
  return true;
}

void PcapOverIpServer::flush() {
  for (std::size_t i = 0; i < clients_.size();) {
    Client& c = *clients_[i];
    bool alive = c.handshaking ? handshake(c) : true;
    if (alive && !c.handshaking) alive = write_pending(c);
    if (c.sent == c.pending.size()) {
      c.pending.clear();
      c.sent = 0;
    } else if (c.sent > (1u << 20)) {
      c.pending.erase(c.pending.begin(), c.pending.begin() + static_cast<std::ptrdiff_t>(c.sent));
      c.sent = 0;
    }
    if (!alive) {
      clients_.erase(clients_.begin() + static_cast<std::ptrdiff_t>(i));
      continue;
    }
    ++i;
  }
}

}  // namespace kagami::mirror
