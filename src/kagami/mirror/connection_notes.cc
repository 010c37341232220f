#include "kagami/mirror/connection_notes.h"

#include <algorithm>

namespace kagami::mirror {

void ConnectionNotes::note(records::ProxiedConnection c) {
  Key key{c.client_ip, c.client_port, c.server_ip, c.server_port};
  std::lock_guard lock(mutex_);
  // A connection noted again (after its STARTTLS upgrade) replaces its note and takes its place
  // among the newest; a new connection on a 4-tuple still held queues behind the earlier one.
  std::deque<Held>& held = notes_[key];
  const bool again = c.again && !held.empty();
  if (again)
    held.back() = Held{std::move(c), ++serial_};
  else
    held.push_back(Held{std::move(c), ++serial_});
  order_.emplace_back(key, serial_);
  while (order_.size() > max_notes_) {
    const auto& [oldest, serial] = order_.front();
    if (auto it = notes_.find(oldest); it != notes_.end()) {
      auto& list = it->second;
      auto at = std::find_if(list.begin(), list.end(),
                             [serial = serial](const Held& h) { return h.serial == serial; });
      if (at != list.end()) {
        list.erase(at);
        forgotten_.fetch_add(1, std::memory_order_relaxed);
        if (list.empty()) notes_.erase(it);
      }
    }
    order_.pop_front();
  }
}

std::optional<records::ProxiedConnection> ConnectionNotes::take(const IpAddress& client_ip,
                                                                std::uint16_t client_port,
                                                                const IpAddress& server_ip,
                                                                std::uint16_t server_port) {
  std::lock_guard lock(mutex_);
  auto it = notes_.find(Key{client_ip, client_port, server_ip, server_port});
  if (it == notes_.end()) return std::nullopt;
  records::ProxiedConnection c = std::move(it->second.front().note);
  it->second.pop_front();
  if (it->second.empty()) notes_.erase(it);
  return c;
}

records::ProxiedConnections::AtStart ConnectionNotes::at_start(const IpAddress& client_ip,
                                                               std::uint16_t client_port,
                                                               const IpAddress& server_ip,
                                                               std::uint16_t server_port) {
  std::lock_guard lock(mutex_);
  auto it = notes_.find(Key{client_ip, client_port, server_ip, server_port});
  if (it == notes_.end()) return {};
  const records::ProxiedConnection& newest = it->second.back().note;
  return AtStart{true, newest.decrypted, newest.user};
}

}  // namespace kagami::mirror
