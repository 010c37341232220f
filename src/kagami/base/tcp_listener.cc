#include "kagami/base/tcp_listener.h"

#include <cerrno>
#include <charconv>
#include <cstring>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace kagami {

Result<SocketAddress> parse_socket_address(const std::string& addr_port) {
  const std::size_t colon = addr_port.rfind(':');
  if (colon == std::string::npos) return make_error("want ADDR:PORT, not \"{}\"", addr_port);
  std::string host = addr_port.substr(0, colon);
  if (host.size() > 1 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  const std::string_view ps = std::string_view(addr_port).substr(colon + 1);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(ps.data(), ps.data() + ps.size(), port);
  if (ps.empty() || ec != std::errc() || end != ps.data() + ps.size() || port > 65535)
    return make_error("want ADDR:PORT, not \"{}\"", addr_port);
  SocketAddress out;
  auto& v4 = reinterpret_cast<sockaddr_in&>(out.storage);
  auto& v6 = reinterpret_cast<sockaddr_in6&>(out.storage);
  if (::inet_pton(AF_INET, host.c_str(), &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    v4.sin_port = htons(static_cast<std::uint16_t>(port));
    out.length = sizeof v4;
  } else if (::inet_pton(AF_INET6, host.c_str(), &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(static_cast<std::uint16_t>(port));
    out.length = sizeof v6;
  } else {
    return make_error("want a numeric address, not \"{}\"", host);
  }
  return out;
}

Result<int> connect_tcp(const std::string& addr_port) {
  auto address = parse_socket_address(addr_port);
  if (!address) return address.error();
  const SocketAddress& a = address.value();
  const int fd = ::socket(a.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error("socket: {}", std::strerror(errno));
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&a.storage), a.length) != 0 &&
      errno != EINPROGRESS) {
    const int err = errno;
    ::close(fd);
    return make_error("connect {}: {}", addr_port, std::strerror(err));
  }
  return fd;
}

Result<int> listen_tcp(const std::string& addr_port, const ListenOptions& o) {
  auto address = parse_socket_address(addr_port);
  if (!address) return address.error();
  sockaddr_storage a = address.value().storage;
  const socklen_t len = address.value().length;
  const int fd = ::socket(a.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error("socket: {}", std::strerror(errno));
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (o.reuse_port) ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (o.transparent) {
    // TPROXY hands over connections to foreign addresses only on IP_TRANSPARENT sockets
    // (CAP_NET_ADMIN); REDIRECT works without it, so a refusal here is not an error.
    ::setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof one);
    if (a.ss_family == AF_INET6) ::setsockopt(fd, SOL_IPV6, IPV6_TRANSPARENT, &one, sizeof one);
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(fd, o.backlog) != 0) {
    const int err = errno;
    ::close(fd);
    return make_error("cannot listen on {}: {}", addr_port, std::strerror(err));
  }
  return fd;
}

std::uint16_t bound_port(int fd) {
  sockaddr_storage a{};
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.ss_family == AF_INET ? reinterpret_cast<sockaddr_in&>(a).sin_port
                                      : reinterpret_cast<sockaddr_in6&>(a).sin6_port);
}

}  // namespace kagami
