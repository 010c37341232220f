#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "kagami/base/ip_address.h"

namespace kagami::proxy {

// Destinations that cannot be decrypted, learned from failures, relayed without decryption
// for `duration_ms` after one:
//  * a client that refuses the minted certificate (a pinned app) is bypassed for that
//    destination alone — one client must not switch inspection off for everybody — and not
//    at all when other clients accept the minted certificate for the destination (then the
//    refusal says more about the client than about the destination);
//  * a server that demands a client certificate is bypassed for every client (only the
//    server decides that).
// Bounded in both tables; touched once per intercepted connection.
class AutoBypass {
 public:
  AutoBypass(std::int64_t duration_ms, std::size_t max_entries)
      : duration_ms_(duration_ms), max_entries_(max_entries) {}

  bool enabled() const { return duration_ms_ > 0; }

  // What a client's refusal did: an entry for that client, or why none was made.
  struct Outcome {
    bool added = false;
    std::string why_not;  // "other clients accept ...", "disabled", "full"
  };
  Outcome client_refused(const IpAddress& client, const std::string& destination,
                         const std::string& why, std::int64_t now_ms);
  void server_refused(const std::string& destination, const std::string& why, std::int64_t now_ms);
  // A client completed its handshake with the minted certificate for `destination`.
  void client_accepted(const IpAddress& client, const std::string& destination,
                       std::int64_t now_ms);

  // Why this client's connection to the destination is bypassed, if it is.
  std::optional<std::string> check(const IpAddress& client, const std::string& destination,
                                   std::int64_t now_ms);

  struct Listed {
    std::string client;  // "" for every client
    std::string destination;
    std::string why;
    std::int64_t remaining_ms = 0;
  };
  std::vector<Listed> list(std::int64_t now_ms);

 private:
  struct Entry {
    std::int64_t until_ms;
    std::string why;
  };
  // Clients that accepted the minted certificate for a destination lately (at most a few
  // are remembered: one other than the refusing client is enough).
  struct Accepted {
    std::int64_t until_ms = 0;
    IpAddress clients[2];
    int count = 0;
  };
  static std::string key(const IpAddress& client, const std::string& destination);
  bool make_room(std::unordered_map<std::string, Entry>& table, std::int64_t now_ms);

  std::int64_t duration_ms_;
  std::size_t max_entries_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> per_client_;   // key(client, destination)
  std::unordered_map<std::string, Entry> per_server_;   // destination
  std::unordered_map<std::string, Accepted> accepted_;  // destination
};

}  // namespace kagami::proxy
