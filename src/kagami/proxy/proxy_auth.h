#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "kagami/base/ip_address.h"
#include "kagami/base/result.h"

namespace kagami::proxy {

// Proxy users: name -> stored password, "scrypt$N$r$p$salt$hash" (base/password_hash.h), or
// the SHA-256 hex of older users files (accepted once, then rewritten as scrypt).
using ProxyUsers = std::unordered_map<std::string, std::string>;

struct ProxyAuthCounters {
  std::atomic<std::uint64_t> verified{0}, cache_hits{0}, refused{0}, throttled{0}, busy{0};
  std::atomic<std::uint64_t> upgraded{0};  // SHA-256 entries rewritten as scrypt
};

// Checks proxy logins (Basic) against the users table. A slow hash (scrypt) is checked on a
// thread of its own, never on an event loop; a login that passed is remembered for a while
// (keyed by a keyed hash of name and password), so a browser's hundred connections cost one
// scrypt. An address that fails too often is refused unchecked for a while (its guesses cost
// nothing), and a full queue refuses at once rather than stalling every client. A user still
// stored as an unsalted SHA-256 (older users files) is let in once and rewritten with scrypt,
// in memory and in the users file.
class ProxyAuth {
 public:
  struct Options {
    std::string users_file;  // rewritten when an old entry is upgraded; empty: memory only
    std::chrono::seconds remember{600};
    std::size_t remember_entries = 4096;
    unsigned free_failures = 10;  // per address, then refused unchecked for `penalty`
    std::chrono::seconds penalty{60};
    std::size_t max_queue = 64;
  };
  enum class Verdict { kOk, kBad, kThrottled, kBusy, kPending };
  using Done = std::function<void(bool ok)>;

  ProxyAuth(ProxyUsers users, Options options);
  ~ProxyAuth();
  ProxyAuth(const ProxyAuth&) = delete;
  ProxyAuth& operator=(const ProxyAuth&) = delete;

  bool required() const { return !users_.load()->empty(); }
  // kOk/kBad/kThrottled/kBusy at once; kPending: `done` runs later on the checking thread
  // (it must only hand the answer to its loop).
  Verdict check(const IpAddress& client, const std::string& user, const std::string& password,
                Done done);
  // Ends the checking thread; logins still waiting get no answer. Before the loops that
  // would receive answers go.
  void stop();
  // New users for logins from now on (SIGHUP); remembered logins are forgotten.
  void set_users(ProxyUsers users);
  const ProxyAuthCounters& counters() const { return counters_; }

 private:
  struct Job {
    IpAddress client;
    std::string user, password;
    Done done;
  };
  struct Failures {
    unsigned count = 0;
    std::chrono::steady_clock::time_point last, until;
  };
  std::string remember_key(const std::string& user, const std::string& password) const;
  void run();
  bool verify(const std::string& user, const std::string& password);
  void upgrade(const std::string& user, const std::string& password);
  void failed(const IpAddress& client);

  Options options_;
  std::string secret_;  // keys the remembered logins: no password-equivalent hash is kept
  std::atomic<std::shared_ptr<const ProxyUsers>> users_;
  std::mutex mutex_;  // everything below
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> remembered_;
  std::unordered_map<std::string, Failures> failures_;  // by address bytes
  ProxyAuthCounters counters_;
  std::thread thread_;
};

// A users file: lines "name:stored-password", blank lines and # comments. The stored form is
// scrypt (hash_password) or, in older files, the SHA-256 hex of the password.
Result<ProxyUsers> load_proxy_users(const std::string& path);
// Sets (or with an empty `stored`, removes) one user's line, keeping every other line, and
// replaces the file at once (written aside, then renamed; mode 0600).
Status write_proxy_user(const std::string& path, const std::string& name,
                        const std::string& stored);

}  // namespace kagami::proxy
