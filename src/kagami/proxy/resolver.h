#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <sys/socket.h>

namespace kagami::proxy {

struct ResolvedAddress {
  sockaddr_storage addr{};
  socklen_t len = 0;
  // Further addresses of the name, in the resolver's order: the first the destination guard
  // allows is the one connected to.
  std::vector<std::pair<sockaddr_storage, socklen_t>> others;
  std::string error;  // set when the name did not resolve
};

// Resolves host names off the event loops (getaddrinfo blocks). Each answer is posted back to
// the loop that asked, which picks it up on its wake-up descriptor.
class Resolver {
 public:
  using Done = std::function<void(ResolvedAddress)>;
  // `hosts`: names answered without DNS (lower-case name -> numeric address).
  explicit Resolver(int threads, std::unordered_map<std::string, std::string> hosts = {});
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // Runs `done` on a resolver thread: it must only hand the answer over to its loop.
  void resolve(std::string host, std::uint16_t port, Done done);

  // Numeric addresses need no thread: true and `out` filled if `host` is one.
  static bool numeric(const std::string& host, std::uint16_t port, ResolvedAddress& out);

 private:
  struct Job {
    std::string host;
    std::uint16_t port;
    Done done;
  };
  void run();
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::unordered_map<std::string, std::string> hosts_;
  std::vector<std::thread> threads_;
};

}  // namespace kagami::proxy
