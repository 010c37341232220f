#include "kagami/console/query_rate.h"

#include <algorithm>
#include <functional>

namespace kagami::console {

std::string QueryRate::shape_of(std::string_view query) {
  std::string out;
  char last = 0;
  for (const char c : query) {
    const auto u = static_cast<unsigned char>(c);
    char k;
    if (c >= '0' && c <= '9')
      k = '0';
    else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || u >= 0x80)
      k = 'a';  // letters of any script: UTF-8 bytes beyond ASCII count as letters
    else if (c == ' ' || c == '\t')
      k = ' ';
    else
      k = c;
    if ((k == '0' || k == 'a' || k == ' ') && k == last) continue;
    out += k;
    last = k;
  }
  return out;
}

bool QueryRate::allow(const std::string& user, const std::string& what, const std::string& query,
                      std::size_t budget, std::chrono::seconds* retry_after) {
  const auto now = Clock::now();
  const std::string key = user + '\n' + what + '\n' + shape_of(query);
  const std::uint64_t h = std::hash<std::string>{}(query);
  std::lock_guard lock(mutex_);
  if (groups_.size() >= capacity_ && !groups_.count(key)) {
    auto quietest = std::min_element(
        groups_.begin(), groups_.end(),
        [](const auto& a, const auto& b) { return a.second.last < b.second.last; });
    groups_.erase(quietest);
  }
  Group& g = groups_[key];
  g.last = now;
  while (!g.seen.empty() && now - g.seen.front().first > window_) g.seen.pop_front();
  for (auto it = g.seen.begin(); it != g.seen.end(); ++it) {
    if (it->second == h) {
      // The same question again (the next page, a refresh): allowed, and fresh again.
      g.seen.erase(it);
      g.seen.emplace_back(now, h);
      return true;
    }
  }
  if (g.seen.size() >= budget) {
    if (retry_after != nullptr)
      *retry_after =
          std::chrono::ceil<std::chrono::seconds>(window_ - (now - g.seen.front().first));
    return false;
  }
  g.seen.emplace_back(now, h);
  return true;
}

}  // namespace kagami::console
