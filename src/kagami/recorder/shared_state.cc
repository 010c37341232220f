#include "kagami/recorder/shared_state.h"

#include <algorithm>
#include <cstring>

namespace kagami::recorder {

std::size_t SharedNameCache::Hash::operator()(const IpAddress& a) const {
  std::uint64_t x[2];
  std::memcpy(x, a.bytes(), 16);
  return static_cast<std::size_t>((x[0] * 0x9e3779b97f4a7c15ull) ^ x[1]);
}

void SharedNameCache::learn(const IpAddress& address, const std::string& name, TimeNs ts) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(address);
  if (it == entries_.end()) {
    if (entries_.size() >= max_entries_ && !by_age_.empty()) {
      entries_.erase(by_age_.front());
      by_age_.pop_front();
    }
    by_age_.push_back(address);
    it = entries_.emplace(address, Entry{{}, std::prev(by_age_.end())}).first;
  }
  auto& names = it->second.names;
  names[ts] = name;
  while (names.size() > 8) names.erase(names.begin());  // a few recent answers per address
}

std::string SharedNameCache::lookup(const IpAddress& address, TimeNs ts) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(address);
  if (it == entries_.end()) return {};
  const auto& names = it->second.names;
  auto n = names.upper_bound(ts);
  if (n == names.begin()) return {};
  return std::prev(n)->second;
}

void SharedExpectedConnections::drop_oldest(std::atomic<std::uint64_t>& counted) {
  const auto [announced, key] = *by_age_.begin();
  by_age_.erase(by_age_.begin());
  const auto it = expected_.find(key);
  if (it == expected_.end() || it->second.ts != announced) return;  // claimed or replaced
  expected_.erase(it);
  counted.fetch_add(1, std::memory_order_relaxed);
}

void SharedExpectedConnections::drop_older_than(TimeNs ts) {
  while (!by_age_.empty() && by_age_.begin()->first < ts) drop_oldest(expired_);
}

void SharedExpectedConnections::expect(const IpAddress& listener, std::uint16_t port,
                                       analyzers::Expectation e) {
  std::lock_guard<std::mutex> lock(mutex_);
  drop_older_than(e.ts - max_age_);
  const Key key{listener, port};
  while (expected_.size() >= max_entries_ && !expected_.count(key) && !by_age_.empty())
    drop_oldest(evicted_);
  by_age_.emplace(e.ts, key);
  expected_[key] = std::move(e);
}

std::optional<analyzers::Expectation> SharedExpectedConnections::claim(
    std::uint8_t transport, const IpAddress& a, std::uint16_t a_port, const IpAddress& b,
    std::uint16_t b_port, TimeNs ts) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (expected_.empty()) return std::nullopt;
  drop_older_than(ts - max_age_);
  for (const Key& k : {Key{b, b_port}, Key{a, a_port}}) {
    auto it = expected_.find(k);
    if (it == expected_.end() || it->second.transport != transport) continue;
    analyzers::Expectation e = std::move(it->second);
    expected_.erase(it);
    claimed_.fetch_add(1, std::memory_order_relaxed);
    return e;
  }
  return std::nullopt;
}

}  // namespace kagami::recorder
