#include "kagami/mirror/pcap_over_ip.h"

#include <cerrno>
#include <cstring>

#include <sys/socket.h>
#include <unistd.h>

#include "kagami/base/tcp_listener.h"

namespace kagami::mirror {
namespace {

constexpr std::uint32_t kNanosecondMagic = 0xa1b23c4d;
constexpr std::uint32_t kSnaplen = 262144;
constexpr std::uint32_t kLinktypeEthernet = 1;

}  // namespace

Result<std::unique_ptr<PcapOverIpServer>> PcapOverIpServer::start(const std::string& listen,
                                                                  std::size_t max_pending) {
  ListenOptions lo;
  lo.backlog = 16;
  auto fd = listen_tcp(listen, lo);
  if (!fd) return make_error("pcap-over-ip: {}", fd.error().message);
  const std::uint16_t p = bound_port(*fd);
  return std::unique_ptr<PcapOverIpServer>(new PcapOverIpServer(*fd, p, max_pending));
}

PcapOverIpServer::~PcapOverIpServer() {
  for (auto& c : clients_) ::close(c->fd);
  ::close(fd_);
}

void PcapOverIpServer::accept_clients() {
  while (true) {
    const int fd = ::accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    auto c = std::make_unique<Client>();
    c->fd = fd;
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
    if (c->pending.size() - c->sent + batch.bytes.size() > max_pending_) {
      dropped_.fetch_add(batch.packets, std::memory_order_relaxed);  // whole records only
      continue;
    }
    c->pending.insert(c->pending.end(), batch.bytes.begin(), batch.bytes.end());
  }
  flush();
}

void PcapOverIpServer::flush() {
  for (std::size_t i = 0; i < clients_.size();) {
    Client& c = *clients_[i];
    bool gone = false;
    while (c.sent < c.pending.size()) {
      const ssize_t n = ::send(c.fd, c.pending.data() + c.sent, c.pending.size() - c.sent,
                               MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        c.sent += static_cast<std::size_t>(n);
        continue;
      }
      gone = !(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR));
      break;
    }
    if (c.sent == c.pending.size()) {
      c.pending.clear();
      c.sent = 0;
    } else if (c.sent > (1u << 20)) {
      c.pending.erase(c.pending.begin(), c.pending.begin() + static_cast<std::ptrdiff_t>(c.sent));
      c.sent = 0;
    }
    if (gone) {
      ::close(c.fd);
      clients_.erase(clients_.begin() + static_cast<std::ptrdiff_t>(i));
      continue;
    }
    ++i;
  }
}

}  // namespace kagami::mirror
