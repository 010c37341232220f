#pragma once

#include <cstdint>

#include "kagami/base/ip_address.h"

namespace kagami::records {

// The session's two ends, copied into each record so records can be searched by address
// while their session is still open.
struct Endpoints {
  IpAddress client_ip, server_ip;
  std::uint16_t client_port = 0, server_port = 0;
};

}  // namespace kagami::records
