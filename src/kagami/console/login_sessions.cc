#include "kagami/console/login_sessions.h"

#include <algorithm>

#include <openssl/rand.h>

#include "kagami/base/sha256.h"

namespace kagami::console {

const char* role_name(Role r) {
  switch (r) {
    case Role::kViewer:
      return "viewer";
    case Role::kInvestigator:
      return "investigator";
    case Role::kAdmin:
      return "admin";
  }
  return "viewer";
}

bool role_from_name(std::string_view name, Role& out) {
  for (const Role r : {Role::kViewer, Role::kInvestigator, Role::kAdmin}) {
    if (name == role_name(r)) {
      out = r;
      return true;
    }
  }
  return false;
}

std::string random_token() {
  std::uint8_t b[32];
  if (RAND_bytes(b, sizeof b) != 1) std::abort();  // no randomness: nothing here is safe
  return to_hex(ByteView(b, sizeof b));
}

LoginSessions::LoginSessions(std::chrono::seconds idle, std::chrono::seconds absolute,
                             std::size_t capacity)
    : idle_(idle), absolute_(absolute), capacity_(capacity) {}

std::string LoginSessions::create(const std::string& user, Role role, const std::string& credential,
                                  std::string* csrf) {
  Entry e;
  e.login.user = user;
  e.login.role = role;
  e.login.credential = credential;
  e.login.csrf = random_token();
  e.created = e.seen = Clock::now();
  if (csrf != nullptr) *csrf = e.login.csrf;
  std::string token = random_token();
  std::lock_guard lock(mutex_);
  if (by_token_.size() >= capacity_) {
    auto oldest = std::min_element(
        by_token_.begin(), by_token_.end(),
        [](const auto& a, const auto& b) { return a.second.seen < b.second.seen; });
    by_token_.erase(oldest);
  }
  by_token_.emplace(token, std::move(e));
  return token;
}

std::optional<Login> LoginSessions::find(const std::string& token) {
  const auto now = Clock::now();
  std::lock_guard lock(mutex_);
  auto it = by_token_.find(token);
  if (it == by_token_.end()) return std::nullopt;
  if (now - it->second.seen > idle_ || now - it->second.created > absolute_) {
    by_token_.erase(it);
    return std::nullopt;
  }
  it->second.seen = now;
  return it->second.login;
}

void LoginSessions::remove(const std::string& token) {
  std::lock_guard lock(mutex_);
  by_token_.erase(token);
}

void LoginSessions::remove_user(const std::string& user) {
  std::lock_guard lock(mutex_);
  std::erase_if(by_token_, [&](const auto& kv) { return kv.second.login.user == user; });
}

std::size_t LoginSessions::size() const {
  std::lock_guard lock(mutex_);
  return by_token_.size();
}

std::chrono::seconds LoginThrottle::wait_of(const std::string& key, Clock::time_point now) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::chrono::seconds(0);
  if (now - it->second.last > limits_.forget && now >= it->second.until) {
    entries_.erase(it);
    return std::chrono::seconds(0);
  }
  if (now >= it->second.until) return std::chrono::seconds(0);
  return std::chrono::ceil<std::chrono::seconds>(it->second.until - now);
}

void LoginThrottle::fail(const std::string& key, unsigned free, std::chrono::seconds max_wait,
                         Clock::time_point now) {
  if (entries_.size() >= limits_.capacity && !entries_.count(key)) {
    // Full (a spray from many addresses): forget the quietest, never stop counting this one.
    auto oldest = std::min_element(
        entries_.begin(), entries_.end(),
        [](const auto& a, const auto& b) { return a.second.last < b.second.last; });
    entries_.erase(oldest);
  }
  Entry& e = entries_[key];
  ++e.failures;
  e.last = now;
  if (e.failures >= free) {
    const unsigned doublings = std::min(e.failures - free, 20u);
    const auto wait =
        std::min<std::chrono::seconds>(std::chrono::seconds(1u << doublings), max_wait);
    e.until = now + wait;
  }
}

void LoginThrottle::take_back(const std::string& key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  if (it->second.failures > 0) --it->second.failures;
}

std::chrono::seconds LoginThrottle::begin(const std::string& source, const std::string& user) {
  const auto now = Clock::now();
  std::lock_guard lock(mutex_);
  const auto wait =
      std::max({wait_of("a:" + source, now), wait_of("u:" + user, now), wait_of("g", now)});
  if (wait.count() > 0) return wait;
  fail("a:" + source, limits_.address_failures, limits_.max_wait, now);
  fail("u:" + user, limits_.user_failures, limits_.max_wait, now);
  fail("g", limits_.global_failures, limits_.max_global_wait, now);
  return std::chrono::seconds(0);
}

void LoginThrottle::succeeded(const std::string& source, const std::string& user) {
  std::lock_guard lock(mutex_);
  entries_.erase("u:" + user);
  take_back("a:" + source);
  take_back("g");
  auto it = entries_.find("a:" + source);
  if (it != entries_.end() && it->second.failures < limits_.address_failures) entries_.erase(it);
}

}  // namespace kagami::console
