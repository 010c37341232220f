#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <tuple>

#include "kagami/records/proxied_connection.h"

namespace kagami::mirror {

// The proxy's notes for the in-process recorder: noted when a connection's mirror opens,
// read when the recorder begins its session and taken when it ends it. Touched three times per
// connection, never per packet.
// A client may reuse its port towards the same destination while the recorder still holds the
// earlier session (it lingers after the close): a 4-tuple keeps one note per connection, oldest
// first. The session that ends takes the oldest; the one that begins reads the newest.
// Bounded: past `max_notes` the oldest are forgotten (counted), so a recorder that never
// takes them cannot make the proxy grow.
class ConnectionNotes final : public records::ProxiedConnections {
 public:
  explicit ConnectionNotes(std::size_t max_notes = 1u << 18) : max_notes_(max_notes) {}
  void note(records::ProxiedConnection c) override;
  std::optional<records::ProxiedConnection> take(const IpAddress& client_ip,
                                                 std::uint16_t client_port,
                                                 const IpAddress& server_ip,
                                                 std::uint16_t server_port) override;
  AtStart at_start(const IpAddress& client_ip, std::uint16_t client_port,
                   const IpAddress& server_ip, std::uint16_t server_port) override;
  std::uint64_t forgotten() const { return forgotten_.load(std::memory_order_relaxed); }

 private:
  using Key = std::tuple<IpAddress, std::uint16_t, IpAddress, std::uint16_t>;
  std::mutex mutex_;
  std::size_t max_notes_;
  struct Held {
    records::ProxiedConnection note;
    std::uint64_t serial = 0;  // which of the key's entries in order_ is this note's
  };
  std::map<Key, std::deque<Held>> notes_;
  // Oldest first; may hold notes already taken, and a replaced note's older entry (whose
  // serial no longer matches: passing it forgets nothing).
  std::deque<std::pair<Key, std::uint64_t>> order_;
  std::uint64_t serial_ = 0;
  std::atomic<std::uint64_t> forgotten_{0};
};

}  // namespace kagami::mirror
