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
  // The user's stored password hash when they logged in: a login outlives no password change.
  std::string credential;
};

// Logged-in browsers, by the random token in their HttpOnly cookie. A login ends after
// `idle` without a request, after `absolute` in any case, at logout, or when its user is
// removed (the console also checks the user table on every request: see api_server.cc). At most
// `capacity` at once (the oldest goes). Thread-safe: console requests run on a pool.
class LoginSessions {
 public:
  using Clock = std::chrono::steady_clock;
  explicit LoginSessions(std::chrono::seconds idle = std::chrono::minutes(30),
                         std::chrono::seconds absolute = std::chrono::hours(12),
                         std::size_t capacity = 10000);

  std::string create(const std::string& user, Role role, const std::string& credential,
                     std::string* csrf);
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

// Slows password guessing in three scopes: one user name (`user_failures` free tries), one
// source address (`address_failures`: an office behind one NAT shares it) and the whole
// console (`global_failures`: a spray over many names from many addresses). Past its free
// tries, each further try in a scope waits twice as long as the last (1 s, 2 s, ... up to
// `max_wait`; the global scope at most `max_global_wait`). A try counts the moment it begins,
// before the password is checked, so tries sent in parallel cannot all slip in before the
// first failure is known; a success takes its own try back and clears the user's count.
// A quiet `forget` clears any.
class LoginThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  struct Limits {
    unsigned user_failures = 5;
    unsigned address_failures = 20;
    unsigned global_failures = 200;
    std::chrono::seconds max_wait = std::chrono::minutes(15);
    std::chrono::seconds max_global_wait = std::chrono::seconds(30);
    std::chrono::seconds forget = std::chrono::minutes(15);
    std::size_t capacity = 100000;
  };
  LoginThrottle() : LoginThrottle(Limits{}) {}
  explicit LoginThrottle(const Limits& limits) : limits_(limits) {}

  // 0: go ahead (the try is counted); otherwise how long the caller must still wait, and the
  // try is not counted.
  std::chrono::seconds begin(const std::string& source, const std::string& user);
  // The try that begin() let through succeeded.
  void succeeded(const std::string& source, const std::string& user);

 private:
  struct Entry {
    unsigned failures = 0;
    Clock::time_point last, until;
  };
  std::chrono::seconds wait_of(const std::string& key, Clock::time_point now);
  void fail(const std::string& key, unsigned free, std::chrono::seconds max_wait,
            Clock::time_point now);
  void take_back(const std::string& key);

  Limits limits_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

// 32 random bytes as hex (login tokens, CSRF tokens).
std::string random_token();

}  // namespace kagami::console
