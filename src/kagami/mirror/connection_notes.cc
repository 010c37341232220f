#include "kagami/mirror/connection_notes.h"

namespace kagami::mirror {

void ConnectionNotes::note(records::ProxiedConnection c) {
  Key key{c.client_ip, c.client_port, c.server_ip, c.server_port};
  std::lock_guard lock(mutex_);
  notes_[key] = std::move(c);  // a reused 4-tuple replaces the old note
  order_.push_back(key);
  while (order_.size() > max_notes_) {
    if (notes_.erase(order_.front())) forgotten_.fetch_add(1, std::memory_order_relaxed);
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
  records::ProxiedConnection c = std::move(it->second);
  notes_.erase(it);
  return c;
}

std::string ConnectionNotes::user_of(const IpAddress& client_ip, std::uint16_t client_port,
                                     const IpAddress& server_ip, std::uint16_t server_port) {
  std::lock_guard lock(mutex_);
  auto it = notes_.find(Key{client_ip, client_port, server_ip, server_port});
  return it == notes_.end() ? std::string() : it->second.user;
}

}  // namespace kagami::mirror
