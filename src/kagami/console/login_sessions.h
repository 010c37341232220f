#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace kagami::console {

// What a console user may do: viewers look (findings masked), investigators also export,
// download and triage, admins also manage users and read the audit log.
enum class Role { kViewer = 0, kInvestigator = 1, kAdmin = 2 };
const char* role_name(Role r);
bool role_from_name(std::string_view name, Role& out);

// 1 to 64 letters, digits and . _ - @ (names appear in the audit log and in URLs).
bool valid_user_name(const std::string& name);

struct Login {
  std::string user;
  Role role = Role::kViewer;
  std::string csrf;  // must come back in X-CSRF-Token on every request that changes something
};

// Logged-in browsers, by the random token in their HttpOnly cookie. A login ends after
// `idle` without a request, after `absolute` in any case, at logout, or when its user is
// removed. At most `capacity` at once (the oldest goes). Thread-safe: console requests run
// on a pool.
class LoginSessions {
 public:
  using Clock = std::chrono::steady_clock;
  explicit LoginSessions(std::chrono::seconds idle = std::chrono::minutes(30),
                         std::chrono::seconds absolute = std::chrono::hours(12),
                         std::size_t capacity = 10000);

  std::string create(const std::string& user, Role role, std::string* csrf);
  std::optional<Login> find(const std::string& token);
  void remove(const std::string& token);
  void remove_user(const std::string& user);
  std::size_t size() const;

 private:
  struct Entry {
    Login login;
    Clock::time_point created, seen;
  };
  std::chrono::seconds idle_, absolute_;
  std::size_t capacity_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> by_token_;
};

// Slows password guessing: after `user_failures` failed logins for one user name, or
// `address_failures` from one address (higher: an office behind one NAT shares it), each
// further try must wait twice as long as the last (1 s, 2 s, ... up to `max_wait`). A success
// clears the user's count; a quiet `forget` clears any.
class LoginThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  explicit LoginThrottle(unsigned user_failures = 5, unsigned address_failures = 20,
                         std::chrono::seconds max_wait = std::chrono::minutes(15),
                         std::chrono::seconds forget = std::chrono::minutes(15),
                         std::size_t capacity = 100000);

  // How long the caller must still wait before a password is even checked (0: go ahead).
  std::chrono::seconds wait(const std::string& source, const std::string& user);
  void failed(const std::string& source, const std::string& user);
  void succeeded(const std::string& source, const std::string& user);

 private:
  struct Entry {
    unsigned failures = 0;
    Clock::time_point last, until;
  };
  std::chrono::seconds wait_of(const std::string& key, Clock::time_point now);
  void fail(const std::string& key, unsigned free, Clock::time_point now);

  unsigned user_free_, address_free_;
  std::chrono::seconds max_wait_, forget_;
  std::size_t capacity_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

// 32 random bytes as hex (login tokens, CSRF tokens).
std::string random_token();

}  // namespace kagami::console
