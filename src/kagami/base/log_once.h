#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace kagami {

// Bad input is logged once per kind and counted every time, so a flood of malformed packets
// cannot flood the log. One instance per thread: no locks.
//
//   if (log_once.first("ipv4.bad_header_length")) spdlog::warn("...");
class LogOnce {
 public:
  bool first(std::string_view kind) {
    auto [it, inserted] = seen_.try_emplace(std::string(kind), 0);
    ++it->second;
    return inserted;
  }
  std::uint64_t count(std::string_view kind) const {
    auto it = seen_.find(std::string(kind));
    return it == seen_.end() ? 0 : it->second;
  }
  const std::unordered_map<std::string, std::uint64_t>& all() const { return seen_; }

 private:
  std::unordered_map<std::string, std::uint64_t> seen_;
};

}  // namespace kagami
