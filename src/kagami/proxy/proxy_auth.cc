#include "kagami/proxy/proxy_auth.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include "kagami/base/ascii.h"
#include "kagami/base/password_hash.h"
#include "kagami/base/printable.h"
#include "kagami/base/sha256.h"

namespace kagami::proxy {
namespace {

using Clock = std::chrono::steady_clock;

// The cost of a proxy password: one check per login remembered for minutes, not per request.
constexpr ScryptCost kProxyCost{14, 8, 1};

bool is_sha256_hex(std::string_view s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

std::string address_key(const IpAddress& a) {
  return std::string(reinterpret_cast<const char*>(a.bytes()), 16);
}

}  // namespace

ProxyAuth::ProxyAuth(ProxyUsers users, Options options) : options_(std::move(options)) {
  secret_.resize(32);
  if (RAND_bytes(reinterpret_cast<unsigned char*>(secret_.data()), 32) != 1) std::abort();
  users_.store(std::make_shared<const ProxyUsers>(std::move(users)));
  thread_ = std::thread([this] { run(); });
}

ProxyAuth::~ProxyAuth() { stop(); }

void ProxyAuth::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::string ProxyAuth::remember_key(const std::string& user, const std::string& password) const {
  const std::string msg = user + '\0' + password;
  unsigned char out[32];
  unsigned len = sizeof out;
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
       reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

void ProxyAuth::set_users(ProxyUsers users) {
  users_.store(std::make_shared<const ProxyUsers>(std::move(users)));
  std::lock_guard lock(mutex_);
  remembered_.clear();
}

ProxyAuth::Verdict ProxyAuth::check(const IpAddress& client, const std::string& user,
                                    const std::string& password, Done done) {
  const auto now = Clock::now();
  const std::string key = remember_key(user, password);
  std::lock_guard lock(mutex_);
  if (auto it = remembered_.find(key); it != remembered_.end()) {
    if (now < it->second) {
      counters_.cache_hits.fetch_add(1, std::memory_order_relaxed);
      return Verdict::kOk;
    }
    remembered_.erase(it);
  }
  if (auto f = failures_.find(address_key(client)); f != failures_.end() && now < f->second.until) {
    counters_.throttled.fetch_add(1, std::memory_order_relaxed);
    return Verdict::kThrottled;
  }
  if (jobs_.size() >= options_.max_queue) {
    counters_.busy.fetch_add(1, std::memory_order_relaxed);
    return Verdict::kBusy;
  }
  jobs_.push_back(Job{client, user, password, std::move(done)});
  cv_.notify_one();
  return Verdict::kPending;
}

// Whether the password is the user's. An unknown user costs a scrypt all the same, so how
// long a refusal takes tells nothing of who exists.
bool ProxyAuth::verify(const std::string& user, const std::string& password) {
  static const std::string kDummy = hash_password("not anybody's password", kProxyCost).value();
  const std::shared_ptr<const ProxyUsers> users = users_.load();
  const auto it = users->find(user);
  if (it == users->end()) {
    (void)verify_password(password, kDummy);
    return false;
  }
  if (is_sha256_hex(it->second)) {
    const std::string given = to_hex(Sha256::of(as_bytes(password)));
    if (CRYPTO_memcmp(given.data(), it->second.data(), given.size()) != 0) return false;
    upgrade(user, password);
    return true;
  }
  return verify_password(password, it->second);
}

// An unsalted SHA-256 entry that just let its user in: rewritten as scrypt, in memory at once
// and in the users file when there is one.
void ProxyAuth::upgrade(const std::string& user, const std::string& password) {
  auto hash = hash_password(password, kProxyCost);
  if (!hash) return;
  auto next = std::make_shared<ProxyUsers>(*users_.load());
  (*next)[user] = *hash;
  users_.store(std::move(next));
  counters_.upgraded.fetch_add(1, std::memory_order_relaxed);
  if (options_.users_file.empty()) return;
  if (auto st = write_proxy_user(options_.users_file, user, *hash); !st) {
    spdlog::warn("proxy: the users file still holds an unsalted SHA-256 for {}: {}",
                 printable(user), st.error().message);
    return;
  }
  spdlog::warn("proxy: user {}: its unsalted SHA-256 in {} was rewritten as scrypt",
               printable(user), options_.users_file);
}

void ProxyAuth::failed(const IpAddress& client) {
  const auto now = Clock::now();
  std::lock_guard lock(mutex_);
  if (failures_.size() >= 65536) {
    for (auto it = failures_.begin(); it != failures_.end();)
      it = now - it->second.last > options_.penalty * 10 ? failures_.erase(it) : std::next(it);
    if (failures_.size() >= 65536) failures_.clear();
  }
  Failures& f = failures_[address_key(client)];
  if (now - f.last > options_.penalty * 10) f.count = 0;  // quiet for a while: forgiven
  f.last = now;
  if (++f.count >= options_.free_failures) f.until = now + options_.penalty;
}

void ProxyAuth::run() {
  while (true) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (stopping_) {
        jobs_.clear();  // their connections are closing with the proxy
        return;
      }
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    const bool ok = verify(job.user, job.password);
    counters_.verified.fetch_add(1, std::memory_order_relaxed);
    if (ok) {
      std::lock_guard lock(mutex_);
      if (remembered_.size() >= options_.remember_entries) {
        const auto now = Clock::now();
        for (auto it = remembered_.begin(); it != remembered_.end();)
          it = now >= it->second ? remembered_.erase(it) : std::next(it);
        if (remembered_.size() >= options_.remember_entries) remembered_.clear();
      }
      remembered_[remember_key(job.user, job.password)] = Clock::now() + options_.remember;
      failures_.erase(address_key(job.client));
    } else {
      counters_.refused.fetch_add(1, std::memory_order_relaxed);
      failed(job.client);
    }
    job.done(ok);
  }
}

Result<ProxyUsers> load_proxy_users(const std::string& path) {
  std::ifstream in(path);
  if (!in) return make_error("cannot read the users file {}", path);
  ProxyUsers users;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    const std::string_view l = trim_field(line);
    if (l.empty() || l.front() == '#') continue;
    const std::size_t colon = l.find(':');
    const std::string_view stored = colon == std::string_view::npos ? "" : l.substr(colon + 1);
    if (colon == 0 || (!is_sha256_hex(stored) && stored.rfind("scrypt$", 0) != 0))
      return make_error(
          "{} line {}: want name:scrypt-hash (kagami proxy-user set) or, in older files, "
          "name:sha256-hex",
          path, n);
    users[std::string(l.substr(0, colon))] = std::string(stored);
  }
  return users;
}

Status write_proxy_user(const std::string& path, const std::string& name,
                        const std::string& stored) {
  std::vector<std::string> lines;
  {
    std::ifstream in(path);
    std::string line;
    while (in && std::getline(in, line)) lines.push_back(line);
  }
  bool placed = false;
  std::vector<std::string> out;
  for (const std::string& line : lines) {
    const std::string_view l = trim_field(line);
    const bool same = !l.empty() && l.front() != '#' && l.substr(0, l.find(':')) == name;
    if (!same) {
      out.push_back(line);
      continue;
    }
    if (!placed && !stored.empty()) out.push_back(name + ":" + stored);
    placed = true;
  }
  if (!placed && !stored.empty()) out.push_back(name + ":" + stored);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    for (const std::string& l : out) f << l << "\n";
    if (!f) return make_error("cannot write {}", tmp);
  }
  ::chmod(tmp.c_str(), 0600);
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    return make_error("cannot replace {}: {}", path, std::strerror(errno));
  return {};
}

}  // namespace kagami::proxy
