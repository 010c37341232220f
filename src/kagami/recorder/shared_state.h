#pragma once

#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <mutex>
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

// FTP data connections expected from control connections, shared by the workers.
class SharedFtpExpectations final : public analyzers::FtpExpectations {
 public:
  void expect(const IpAddress& listener, std::uint16_t port, std::uint64_t control_session,
              TimeNs ts) override;
  void queue_transfer(const analyzers::FtpTransfer& transfer) override;
  std::uint64_t claim(const IpAddress& a, std::uint16_t a_port, const IpAddress& b,
                      std::uint16_t b_port, TimeNs ts) override;
  bool take_transfer(std::uint64_t control_session, std::uint16_t port_a, std::uint16_t port_b,
                     analyzers::FtpTransfer& out) override;

 private:
  struct Key {
    IpAddress ip;
    std::uint16_t port;
    bool operator<(const Key& o) const { return ip != o.ip ? ip < o.ip : port < o.port; }
  };
  struct Expected {
    std::uint64_t control_session;
    TimeNs ts;
  };
  std::mutex mutex_;
  std::map<Key, Expected> expected_;
  std::map<std::uint64_t, std::deque<analyzers::FtpTransfer>> transfers_;
  static constexpr std::size_t kMaxExpected = 65536;
  static constexpr std::size_t kMaxQueued = 256;  // per control session
};

}  // namespace kagami::recorder
