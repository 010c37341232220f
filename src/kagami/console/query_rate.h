#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace kagami::console {

// Bounds repeated near-identical queries, one user at a time. The same query with a digit
// added, a word swapped or a number changed, over and over, is how a count or a page is read
// as a yes/no oracle one character at a time; people investigating ask differently shaped
// questions, and page through the same one. So queries are grouped by their shape (shape_of)
// and each group may hold `budget` different queries within `window`; the same query again
// (the next page) is always allowed. Bounded in users x shapes (`capacity`; the quietest go).
class QueryRate {
 public:
  using Clock = std::chrono::steady_clock;
  explicit QueryRate(std::chrono::seconds window = std::chrono::minutes(10),
                     std::size_t capacity = 20000)
      : window_(window), capacity_(capacity) {}

  // Whether `user` may run `query` on `what` ("search:http", "top:host", ...) now; false: how
  // long until it may (`retry_after`).
  bool allow(const std::string& user, const std::string& what, const std::string& query,
             std::size_t budget, std::chrono::seconds* retry_after = nullptr);

  // The query with every run of digits as "0" and every run of letters (any script) as "a",
  // case and spacing folded: "mynumber:\"12345\"" and "mynumber:\"123456\"" share one.
  static std::string shape_of(std::string_view query);

 private:
  struct Group {
    std::deque<std::pair<Clock::time_point, std::uint64_t>> seen;  // distinct queries, oldest first
    Clock::time_point last;
  };
  std::chrono::seconds window_;
  std::size_t capacity_;
  std::mutex mutex_;
  std::unordered_map<std::string, Group> groups_;
};

}  // namespace kagami::console
