#include "kagami/proxy/auto_bypass.h"

#include <algorithm>

namespace kagami::proxy {

std::string AutoBypass::key(const IpAddress& client, const std::string& destination) {
  return std::string(reinterpret_cast<const char*>(client.bytes()), 16) + destination;
}

// Expired entries go first; a table full of live ones takes nothing more (those
// connections are decrypted as before, which is the safe side).
bool AutoBypass::make_room(std::unordered_map<std::string, Entry>& table, std::int64_t now_ms) {
  if (table.size() < max_entries_) return true;
  for (auto it = table.begin(); it != table.end();)
    it = it->second.until_ms <= now_ms ? table.erase(it) : std::next(it);
  return table.size() < max_entries_;
}

AutoBypass::Outcome AutoBypass::client_refused(const IpAddress& client,
                                               const std::string& destination,
                                               const std::string& why, std::int64_t now_ms) {
  if (!enabled()) return {false, "automatic bypass is off"};
  std::lock_guard lock(mutex_);
  if (auto a = accepted_.find(destination); a != accepted_.end() && a->second.until_ms > now_ms) {
    for (int i = 0; i < a->second.count; ++i)
      if (!(a->second.clients[i] == client))
        return {false, "other clients accept the minted certificate for it (" +
                           a->second.clients[i].to_string() + ")"};
  }
  if (!make_room(per_client_, now_ms)) return {false, "the bypass table is full"};
  per_client_[key(client, destination)] = Entry{now_ms + duration_ms_, why};
  return {true, {}};
}

void AutoBypass::server_refused(const std::string& destination, const std::string& why,
                                std::int64_t now_ms) {
  if (!enabled()) return;
  std::lock_guard lock(mutex_);
  if (!make_room(per_server_, now_ms)) return;
  per_server_[destination] = Entry{now_ms + duration_ms_, why};
}

void AutoBypass::client_accepted(const IpAddress& client, const std::string& destination,
                                 std::int64_t now_ms) {
  if (!enabled()) return;
  std::lock_guard lock(mutex_);
  auto it = accepted_.find(destination);
  if (it == accepted_.end()) {
    if (accepted_.size() >= max_entries_) {
      for (auto i = accepted_.begin(); i != accepted_.end();)
        i = i->second.until_ms <= now_ms ? accepted_.erase(i) : std::next(i);
      if (accepted_.size() >= max_entries_) return;
    }
    it = accepted_.emplace(destination, Accepted{}).first;
  }
  Accepted& a = it->second;
  if (a.until_ms <= now_ms) a.count = 0;
  a.until_ms = now_ms + duration_ms_;
  for (int i = 0; i < a.count; ++i)
    if (a.clients[i] == client) return;
  // Two different clients are all the rule needs to know of.
  if (a.count < 2) a.clients[a.count++] = client;
}

std::optional<std::string> AutoBypass::check(const IpAddress& client,
                                             const std::string& destination, std::int64_t now_ms) {
  if (!enabled()) return std::nullopt;
  std::lock_guard lock(mutex_);
  for (auto* table : {&per_server_, &per_client_}) {
    const std::string k = table == &per_server_ ? destination : key(client, destination);
    auto it = table->find(k);
    if (it == table->end()) continue;
    if (it->second.until_ms <= now_ms) {
      table->erase(it);
      continue;
    }
    return it->second.why;
  }
  return std::nullopt;
}

std::vector<AutoBypass::Listed> AutoBypass::list(std::int64_t now_ms) {
  std::vector<Listed> out;
  std::lock_guard lock(mutex_);
  for (const auto& [k, e] : per_server_)
    if (e.until_ms > now_ms) out.push_back({"", k, e.why, e.until_ms - now_ms});
  for (const auto& [k, e] : per_client_) {
    if (e.until_ms <= now_ms) continue;
    const IpAddress client =
        IpAddress::from_bytes16(reinterpret_cast<const std::uint8_t*>(k.data()));
    out.push_back({client.to_string(), k.substr(16), e.why, e.until_ms - now_ms});
  }
  std::sort(out.begin(), out.end(), [](const Listed& a, const Listed& b) {
    return std::tie(a.destination, a.client) < std::tie(b.destination, b.client);
  });
  return out;
}

}  // namespace kagami::proxy
