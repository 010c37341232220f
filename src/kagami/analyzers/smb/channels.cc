#include "kagami/analyzers/smb/channels.h"

#include <utility>

namespace kagami::analyzers {

template <class V>
void SmbChannels::Table<V>::put(const Key& k, V v, std::size_t bound) {
  auto [it, inserted] = items.insert_or_assign(k, std::move(v));
  if (!inserted) return;  // replaced: keeps its place in the order
  order.push_back(k);
  while (items.size() > bound && !order.empty()) {
    items.erase(order.front());
    order.pop_front();
  }
}

template <class V>
std::optional<V> SmbChannels::Table<V>::find(const Key& k) const {
  auto it = items.find(k);
  if (it == items.end()) return std::nullopt;
  return it->second;
}

void SmbChannels::logon(const IpAddress& server, std::uint64_t session, Logon l) {
  std::lock_guard lock(mutex_);
  logons_.put({server, session, 0, 0}, std::move(l), kMaxLogons);
}

void SmbChannels::tree(const IpAddress& server, std::uint64_t session, std::uint32_t tree,
                       std::string share) {
  std::lock_guard lock(mutex_);
  trees_.put({server, session, tree, 0}, std::move(share), kMaxTrees);
}

void SmbChannels::file(const IpAddress& server, std::uint64_t session, const wire::Smb2FileId& id,
                       Name n) {
  std::lock_guard lock(mutex_);
  files_.put({server, session, id.persistent, id.volatile_id}, std::move(n), kMaxFiles);
}

std::optional<SmbChannels::Logon> SmbChannels::logon_of(const IpAddress& server,
                                                        std::uint64_t session) const {
  std::lock_guard lock(mutex_);
  return logons_.find({server, session, 0, 0});
}

std::optional<std::string> SmbChannels::tree_of(const IpAddress& server, std::uint64_t session,
                                                std::uint32_t tree) const {
  std::lock_guard lock(mutex_);
  return trees_.find({server, session, tree, 0});
}

std::optional<SmbChannels::Name> SmbChannels::file_of(const IpAddress& server,
                                                      std::uint64_t session,
                                                      const wire::Smb2FileId& id) const {
  std::lock_guard lock(mutex_);
  return files_.find({server, session, id.persistent, id.volatile_id});
}

}  // namespace kagami::analyzers
