#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kagami/base/ip_address.h"

namespace kagami::records {

// What the insight proxy knows about one connection it mirrored, beyond its packets.
struct ProxiedConnection {
  IpAddress client_ip, server_ip;
  std::uint16_t client_port = 0, server_port = 0;
  bool decrypted = false;
  bool connected = true;  // false: the proxy refused the destination and never connected
  std::string host;       // as the client asked (CONNECT authority or the request's host)
  std::string sni, alpn, user;
  std::string client_version, client_cipher;      // the client leg, when decrypted
  std::string upstream_version, upstream_cipher;  // the server leg
  std::string upstream_verdict;                   // why the server is not trusted, or ""
  std::string policy;                             // "decrypt: <reason>", "bypass: ..."
  std::string failure;  // why it ended before the relay (a refused certificate, a block)
  std::vector<std::uint8_t> upstream_cert_der;  // the server's leaf, when decrypted
  std::uint32_t upstream_cert_count = 0;        // certificates the server sent
  std::vector<std::uint8_t> client_hello;       // the client's ClientHello body, when TLS
  // The same connection noted again (its STARTTLS upgrade decrypted): replaces its first note.
  // Otherwise a note with a 4-tuple already noted is a new connection reusing it.
  bool again = false;
};

// Notes the proxy leaves for the recorder in the same process, found again by the mirrored
// session's addresses. Thread-safe.
class ProxiedConnections {
 public:
  virtual ~ProxiedConnections() = default;
  virtual void note(ProxiedConnection c) = 0;
  virtual std::optional<ProxiedConnection> take(const IpAddress& client_ip,
                                                std::uint16_t client_port,
                                                const IpAddress& server_ip,
                                                std::uint16_t server_port) = 0;
  // What a noted connection's note says when its session begins, the note left in place:
  // its records carry who from the first one, and whether the proxy decrypted them.
  struct AtStart {
    bool noted = false;      // the proxy carried this connection
    bool decrypted = false;  // decrypted from the start (TLS, not a STARTTLS to come)
    std::string user;        // the proxy login; empty if none
  };
  virtual AtStart at_start(const IpAddress& client_ip, std::uint16_t client_port,
                           const IpAddress& server_ip, std::uint16_t server_port) = 0;
};

}  // namespace kagami::records
