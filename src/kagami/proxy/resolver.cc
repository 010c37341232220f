#include "kagami/proxy/resolver.h"

#include <cstring>

#include <arpa/inet.h>
#include <netdb.h>

namespace kagami::proxy {

Resolver::Resolver(int threads, std::unordered_map<std::string, std::string> hosts)
    : hosts_(std::move(hosts)) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

Resolver::~Resolver() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

bool Resolver::numeric(const std::string& host, std::uint16_t port, ResolvedAddress& out) {
  sockaddr_in v4{};
  if (::inet_pton(AF_INET, host.c_str(), &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    v4.sin_port = htons(port);
    std::memcpy(&out.addr, &v4, sizeof v4);
    out.len = sizeof v4;
    return true;
  }
  sockaddr_in6 v6{};
  if (::inet_pton(AF_INET6, host.c_str(), &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(port);
    std::memcpy(&out.addr, &v6, sizeof v6);
    out.len = sizeof v6;
    return true;
  }
  return false;
}

void Resolver::resolve(std::string host, std::uint16_t port, Done done) {
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(Job{std::move(host), port, std::move(done)});
  }
  cv_.notify_one();
}

void Resolver::run() {
  while (true) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    ResolvedAddress out;
    std::string name = job.host;
    for (char& c : name)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (auto it = hosts_.find(name); it != hosts_.end()) {
      if (!numeric(it->second, job.port, out)) out.error = "bad hosts entry for " + job.host;
      job.done(std::move(out));
      continue;
    }
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG;
    addrinfo* res = nullptr;
    const int rc = ::getaddrinfo(job.host.c_str(), std::to_string(job.port).c_str(), &hints, &res);
    if (rc != 0 || res == nullptr) {
      out.error = std::string("cannot resolve ") + job.host + ": " + ::gai_strerror(rc);
    } else {
      std::memcpy(&out.addr, res->ai_addr, res->ai_addrlen);
      out.len = res->ai_addrlen;
      constexpr std::size_t kMaxAddresses = 16;
      for (const addrinfo* a = res->ai_next; a != nullptr && out.others.size() < kMaxAddresses;
           a = a->ai_next) {
        sockaddr_storage s{};
        std::memcpy(&s, a->ai_addr, a->ai_addrlen);
        out.others.emplace_back(s, a->ai_addrlen);
      }
    }
    if (res != nullptr) ::freeaddrinfo(res);
    job.done(std::move(out));
  }
}

}  // namespace kagami::proxy
