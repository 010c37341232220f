#include "kagami/mirror/connection_notes.h"

namespace kagami::mirror {

void ConnectionNotes::note(records::ProxiedConnection c) {
  Key key{c.client_ip, c.client_port, c.server_ip, c.server_port};
  std::lock_guard lock(mutex_);
  // A reused 4-tuple (or a STARTTLS connection noted again) replaces the old note and takes
  // its place among the newest.
  notes_[key] = Held{std::move(c), ++serial_};
  order_.emplace_back(key, serial_);
  while (order_.size() > max_notes_) {
    const auto& [oldest, serial] = order_.front();
    if (auto it = notes_.find(oldest); it != notes_.end() && it->second.serial == serial) {
      notes_.erase(it);
      forgotten_.fetch_add(1, std::memory_order_relaxed);
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
  records::ProxiedConnection c = std::move(it->second.note);
  notes_.erase(it);
  return c;
}

records::ProxiedConnections::AtStart ConnectionNotes::at_start(const IpAddress& client_ip,
                                                               std::uint16_t client_port,
                                                               const IpAddress& server_ip,
                                                               std::uint16_t server_port) {
  std::lock_guard lock(mutex_);
  auto it = notes_.find(Key{client_ip, client_port, server_ip, server_port});
  if (it == notes_.end()) return {};
  return AtStart{true, it->second.note.decrypted, it->second.note.user};
}

}  // namespace kagami::mirror
