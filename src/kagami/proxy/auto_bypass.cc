#include "kagami/proxy/auto_bypass.h"

namespace kagami::proxy {

void AutoBypass::add(const std::string& destination, const std::string& why, std::int64_t now_ms) {
  if (!enabled()) return;
  std::lock_guard lock(mutex_);
  if (entries_.size() >= max_entries_) {
    for (auto it = entries_.begin(); it != entries_.end();)  // expired ones first
      it = it->second.until_ms <= now_ms ? entries_.erase(it) : std::next(it);
    if (entries_.size() >= max_entries_) return;  // full of live entries: decrypt as before
  }
  entries_[destination] = Entry{now_ms + duration_ms_, why};
}

std::optional<std::string> AutoBypass::check(const std::string& destination, std::int64_t now_ms) {
  if (!enabled()) return std::nullopt;
  std::lock_guard lock(mutex_);
  auto it = entries_.find(destination);
  if (it == entries_.end()) return std::nullopt;
  if (it->second.until_ms <= now_ms) {
    entries_.erase(it);
    return std::nullopt;
  }
  return it->second.why;
}

}  // namespace kagami::proxy
