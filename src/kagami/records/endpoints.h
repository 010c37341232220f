#pragma once

#include <cstdint>

#include "kagami/base/ip_address.h"
#include "kagami/records/record_schema.h"

namespace kagami::records {

// The session's two ends, copied into each record so records can be searched by address
// while their session is still open.
struct Endpoints {
  IpAddress client_ip, server_ip;
  std::uint16_t client_port = 0, server_port = 0;

  template <class Self, class V>
  static void describe(Self& e, V& v) {
    v(e.client_ip,
      as::field("client_ip", FieldType::kIp, "the client's address").ja("クライアントのアドレス"));
    v(e.client_port,
      as::field("client_port", FieldType::kPort, "the client's port").ja("クライアントのポート"));
    v(e.server_ip,
      as::field("server_ip", FieldType::kIp, "the server's address").ja("サーバーのアドレス"));
    v(e.server_port,
      as::field("server_port", FieldType::kPort, "the server's port").ja("サーバーのポート"));
  }
};

}  // namespace kagami::records
