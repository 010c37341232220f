#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "kagami/base/result.h"

namespace kagami::alert {

// A blocking socket with a deadline on every call, for the sinks' short conversations.
class NetClient {
 public:
  static Result<NetClient> connect(const std::string& addr_port, bool udp, int timeout_ms);
  NetClient(NetClient&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  NetClient& operator=(NetClient&&) = delete;
  ~NetClient();

  Status send_all(std::string_view bytes);
  // A line ending in "\n" (CRLF or LF), at most 4 KiB.
  Result<std::string> read_line();

 private:
  explicit NetClient(int fd) : fd_(fd) {}
  int fd_ = -1;
  std::string buffer_;
};

}  // namespace kagami::alert
