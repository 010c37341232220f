#include "kagami/alert/net_client.h"

#include <cerrno>
#include <cstring>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "kagami/base/tcp_listener.h"

namespace kagami::alert {

Result<NetClient> NetClient::connect(const std::string& addr_port, bool udp, int timeout_ms) {
  auto address = parse_socket_address(addr_port);
  if (!address) return address.error();
  const sockaddr_storage ss = address.value().storage;
  const socklen_t len = address.value().length;
  const int fd = ::socket(ss.ss_family, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error("socket: {}", std::strerror(errno));
  NetClient c(fd);
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  // A connect that blocks past its deadline gives EINPROGRESS with the send timeout set.
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&ss), len) != 0)
    return make_error("connect {}: {}", addr_port, std::strerror(errno));
  return c;
}

NetClient::~NetClient() {
  if (fd_ >= 0) ::close(fd_);
}

Status NetClient::send_all(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return make_error("send: {}", n < 0 ? std::strerror(errno) : "closed");
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

Result<std::string> NetClient::read_line() {
  for (;;) {
    const std::size_t nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return line;
    }
    if (buffer_.size() > 4096) return make_error("a reply line longer than 4 KiB");
    char buf[1024];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return make_error("read: {}", n < 0 ? std::strerror(errno) : "connection closed");
    buffer_.append(buf, static_cast<std::size_t>(n));
  }
}

}  // namespace kagami::alert
