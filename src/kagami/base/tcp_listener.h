#pragma once

#include <cstdint>
#include <string>

#include <sys/socket.h>

#include "kagami/base/result.h"

namespace kagami {

struct ListenOptions {
  bool reuse_port = false;   // SO_REUSEPORT: several listeners share the port
  bool transparent = false;  // IP_TRANSPARENT, for TPROXY (tried; refused without the right)
  int backlog = 4096;
};

// "ADDR:PORT" as a socket address: a numeric address (IPv6 in brackets) and a port 0-65535.
struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
};
Result<SocketAddress> parse_socket_address(const std::string& addr_port);

// A non-blocking TCP connection under way to "ADDR:PORT": poll it for POLLOUT, then read
// SO_ERROR.
Result<int> connect_tcp(const std::string& addr_port);

// A non-blocking TCP listener on "ADDR:PORT": a numeric address (IPv6 in brackets), port 0
// for any free one (bound_port tells which).
Result<int> listen_tcp(const std::string& addr_port, const ListenOptions& options);
std::uint16_t bound_port(int fd);

}  // namespace kagami
