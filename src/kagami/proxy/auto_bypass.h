#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace kagami::proxy {

// Destinations that cannot be decrypted, learned from failures: clients that refuse the
// minted certificate (pinned apps) and servers that demand a client certificate. For
// `duration_ms` after a failure their connections are relayed without decryption. Bounded;
// touched once per intercepted connection.
class AutoBypass {
 public:
  AutoBypass(std::int64_t duration_ms, std::size_t max_entries)
      : duration_ms_(duration_ms), max_entries_(max_entries) {}

  bool enabled() const { return duration_ms_ > 0; }
  void add(const std::string& destination, const std::string& why, std::int64_t now_ms);
  // Why the destination is bypassed, if it is.
  std::optional<std::string> check(const std::string& destination, std::int64_t now_ms);

 private:
  struct Entry {
    std::int64_t until_ms;
    std::string why;
  };
  std::int64_t duration_ms_;
  std::size_t max_entries_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace kagami::proxy
