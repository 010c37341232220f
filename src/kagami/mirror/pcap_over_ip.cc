#include "kagami/mirror/pcap_over_ip.h"

#include <cerrno>
#include <charconv>
#include <cstring>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kagami/base/ip_address.h"

namespace kagami::mirror {
namespace {

constexpr std::uint32_t kNanosecondMagic = 0xa1b23c4d;
constexpr std::uint32_t kSnaplen = 262144;
constexpr std::uint32_t kLinktypeEthernet = 1;

}  // namespace

Result<std::unique_ptr<PcapOverIpServer>> PcapOverIpServer::start(const std::string& listen,
                                                                  std::size_t max_pending) {
  const std::size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return make_error("pcap-over-ip wants ADDR:PORT, not {}", listen);
  std::string host = listen.substr(0, colon);
  if (host.size() > 1 && host.front() == '[') host = host.substr(1, host.size() - 2);
  unsigned port = 0;
  const std::string ps = listen.substr(colon + 1);
  if (std::from_chars(ps.data(), ps.data() + ps.size(), port).ec != std::errc() || port > 65535)
    return make_error("pcap-over-ip: bad port in {}", listen);
  auto ip = IpAddress::parse(host);
  if (!ip) return make_error("pcap-over-ip wants a numeric address: {}", host);
  sockaddr_storage a{};
  socklen_t len = 0;
  if (ip->is_v4()) {
    auto& v4 = reinterpret_cast<sockaddr_in&>(a);
    v4.sin_family = AF_INET;
    v4.sin_port = htons(static_cast<std::uint16_t>(port));
    std::memcpy(&v4.sin_addr, ip->bytes() + 12, 4);
    len = sizeof v4;
  } else {
    auto& v6 = reinterpret_cast<sockaddr_in6&>(a);
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(static_cast<std::uint16_t>(port));
    std::memcpy(&v6.sin6_addr, ip->bytes(), 16);
    len = sizeof v6;
  }
  const int fd = ::socket(a.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error("socket: {}", std::strerror(errno));
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(fd, 16) != 0) {
    const int err = errno;
    ::close(fd);
    return make_error("pcap-over-ip: cannot listen on {}: {}", listen, std::strerror(err));
  }
  sockaddr_storage bound{};
  socklen_t blen = sizeof bound;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &blen);
  const std::uint16_t p =
      ntohs(bound.ss_family == AF_INET ? reinterpret_cast<sockaddr_in&>(bound).sin_port
                                       : reinterpret_cast<sockaddr_in6&>(bound).sin6_port);
  return std::unique_ptr<PcapOverIpServer>(new PcapOverIpServer(fd, p, max_pending));
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
