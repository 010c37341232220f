#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "kagami/analyzers/context.h"

namespace kagami::recorder {

// Host names learned from DNS answers, shared by the workers. Touched once per DNS answer
// and once per session, never per packet, so a mutex is cheap enough. Bounded: the oldest
// entries go first.
class SharedNameCache final : public analyzers::NameCache {
 public:
  explicit SharedNameCache(std::size_t max_entries = 1u << 20) : max_entries_(max_entries) {}
  void learn(const IpAddress& address, const std::string& name, TimeNs ts) override;
  std::string lookup(const IpAddress& address, TimeNs ts) const override;

 private:
  struct Hash {
    std::size_t operator()(const IpAddress& a) const;
  };
  struct Entry {
    std::map<TimeNs, std::string> names;  // by the time each answer was seen
    std::list<IpAddress>::iterator age;
  };
  mutable std::mutex mutex_;
  std::size_t max_entries_;
  std::unordered_map<IpAddress, Entry, Hash> entries_;
  std::list<IpAddress> by_age_;
};

// Connections announced by other sessions (analyzers::ExpectedConnections), shared by the
// workers. Touched once per announcement and once per new connection, never per packet.
// Bounded twice: an announcement nothing claimed within `max_age` of packet time is dropped,
// and beyond `max_entries` the oldest goes; both are counted.
class SharedExpectedConnections final : public analyzers::ExpectedConnections {
 public:
  explicit SharedExpectedConnections(std::size_t max_entries = 65536,
                                     TimeNs max_age = 15 * 60 * kNsPerSec)
      : max_entries_(max_entries), max_age_(max_age) {}
  void expect(const IpAddress& listener, std::uint16_t port, analyzers::Expectation e) override;
  std::optional<analyzers::Expectation> claim(std::uint8_t transport, const IpAddress& a,
                                              std::uint16_t a_port, const IpAddress& b,
                                              std::uint16_t b_port, TimeNs ts) override;

  std::uint64_t claimed() const { return claimed_.load(std::memory_order_relaxed); }
  std::uint64_t expired() const { return expired_.load(std::memory_order_relaxed); }
  std::uint64_t evicted() const { return evicted_.load(std::memory_order_relaxed); }

 private:
  struct Key {
    IpAddress ip;
    std::uint16_t port;
    bool operator<(const Key& o) const { return ip != o.ip ? ip < o.ip : port < o.port; }
  };
  // With the lock held: the oldest announcement, unless it was claimed or replaced since
  // (then only its place in by_age_), counted in `counted`; all older than `ts`, as expired.
  void drop_oldest(std::atomic<std::uint64_t>& counted);
  void drop_older_than(TimeNs ts);

  std::mutex mutex_;
  std::size_t max_entries_;
  TimeNs max_age_;
  std::map<Key, analyzers::Expectation> expected_;
  std::multimap<TimeNs, Key> by_age_;  // announcement time → key (stale pairs skipped)
  std::atomic<std::uint64_t> claimed_{0}, expired_{0}, evicted_{0};
};

}  // namespace kagami::recorder
