#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <sys/socket.h>

#include "kagami/base/ip_address.h"
#include "kagami/base/result.h"

namespace kagami::proxy {

// Where the proxy may connect, judged on the address it is about to connect to (after names
// are resolved, so neither a spelling such as 127.1 or 2130706433 nor a DNS answer that
// changes between lookups gets past it).
//
// Two rules, in this order:
//  1. Never this process's own listeners (the proxy, its transparent port, the mirror's
//     pcap-over-IP port, the console of `kagami up`): relaying to them would hand one client
//     every other client's decrypted traffic, or loop the mirror into itself. Nothing opens
//     this.
//  2. Not loopback, link-local, unspecified, multicast, reserved or broadcast addresses, nor
//     the addresses of this host's own interfaces, unless a prefix given with
//     --allow-destination holds the address.
// Thread-safe: the event loops ask; own endpoints may be added while they run.
class DestinationGuard {
 public:
  // `allow`: CIDR prefixes ("127.0.0.0/8", "::1/128", or a single address).
  static Result<std::unique_ptr<DestinationGuard>> build(const std::vector<std::string>& allow);

  // A listener of this process ("ADDR:PORT", numeric; 0.0.0.0 or [::] mean every local
  // address).
  Status add_own(const std::string& addr_port);
  void add_own(const IpAddress& ip, std::uint16_t port);

  // Why the proxy must not connect to `ip`:`port`; empty when it may.
  std::string refusal(const IpAddress& ip, std::uint16_t port) const;
  std::string refusal(const sockaddr_storage& addr) const;

  // The class an address falls in ("loopback", "link-local", ...), or null for an ordinary
  // one. This host's interface addresses are not a class here (they change at run time).
  static const char* special_class(const IpAddress& ip);

  // New prefixes for connections from now on (a policy reload).
  Status set_allowed(const std::vector<std::string>& allow);

 private:
  struct Snapshot {
    std::vector<IpAddress> local;  // this host's interface addresses
    std::vector<std::pair<IpAddress, std::uint16_t>> own;
    std::vector<IpPrefix> allow;
    std::int64_t taken_ms = 0;
  };
  DestinationGuard() = default;
  std::shared_ptr<const Snapshot> current() const;
  std::shared_ptr<const Snapshot> refreshed(const Snapshot& from) const;

  mutable std::mutex update_mutex_;  // writers only; readers take the snapshot
  mutable std::atomic<std::shared_ptr<const Snapshot>> snapshot_;
};

}  // namespace kagami::proxy
