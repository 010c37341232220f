#include "kagami/proxy/proxy_server.h"

#include <cerrno>
#include <cstring>
#include <mutex>
#include <unordered_map>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kagami/base/tcp_listener.h"
#include "kagami/mirror/mirror.h"
#include "kagami/proxy/connection.h"

namespace kagami::proxy {
namespace {

constexpr std::uint64_t kListenTag = ~std::uint64_t{0};
constexpr std::uint64_t kTransparentTag = ~std::uint64_t{0} - 2;
constexpr std::uint64_t kWakeTag = ~std::uint64_t{0} - 1;

}  // namespace

// One thread's event loop: its listener, its connections, its mirror producer.
class ProxyServer::Loop {
 public:
  Loop(const ProxyOptions& options, ProxyCounters& counters, int listen_fd, int transparent_fd)
      : options_(options),
        counters_(counters),
        listen_fd_(listen_fd),
        transparent_fd_(transparent_fd) {
    wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  }
  ~Loop() {
    connections_.clear();
    if (listen_fd_ >= 0) ::close(listen_fd_);
    if (transparent_fd_ >= 0) ::close(transparent_fd_);
    if (wake_fd_ >= 0) ::close(wake_fd_);
  }

  LoopContext& context() { return cx_; }

  void run(const std::atomic<bool>& stopping) {
    cx_.loop = &loop_;
    cx_.post_resolved = [this](std::uint64_t id, ResolvedAddress a) {
      {
        std::lock_guard lock(resolved_mutex_);
        resolved_.emplace_back(id, std::move(a));
      }
      const std::uint64_t one = 1;
      (void)!::write(wake_fd_, &one, sizeof one);
    };
    cx_.post_authenticated = [this](std::uint64_t id, bool ok) {
      {
        std::lock_guard lock(resolved_mutex_);
        authenticated_.emplace_back(id, ok);
      }
      const std::uint64_t one = 1;
      (void)!::write(wake_fd_, &one, sizeof one);
    };
    if (listen_fd_ >= 0) loop_.add(listen_fd_, EPOLLIN, kListenTag);
    if (transparent_fd_ >= 0) loop_.add(transparent_fd_, EPOLLIN, kTransparentTag);
    loop_.add(wake_fd_, EPOLLIN, kWakeTag);
    std::int64_t last_sweep = monotonic_ms();
    while (!stopping.load(std::memory_order_acquire)) {
      loop_.wait(100, [this](std::uint64_t tag, std::uint32_t events) { dispatch(tag, events); });
      reap();
      if (cx_.mirror != nullptr) cx_.mirror->flush(true);
      const std::int64_t now = monotonic_ms();
      if (now - last_sweep >= 250) {
        last_sweep = now;
        for (auto& [id, c] : connections_) c->check_timeout(now);
        reap();
      }
    }
    connections_.clear();
    if (cx_.mirror != nullptr) cx_.mirror->flush(true);
  }

 private:
  void dispatch(std::uint64_t tag, std::uint32_t events) {
    if (tag == kListenTag) return accept_all(listen_fd_, false);
    if (tag == kTransparentTag) return accept_all(transparent_fd_, true);
    if (tag == kWakeTag) return take_resolved();
    auto it = connections_.find(tag >> 1);
    if (it == connections_.end()) return;
    it->second->on_event(tag & 1, events);
    if (it->second->done()) dead_.push_back(tag >> 1);
  }

  void accept_all(int listen_fd, bool transparent) {
    for (int i = 0; i < 64; ++i) {
      const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;  // EAGAIN, or an error the next wake-up retries (EMFILE counted)
      counters_.accepted.fetch_add(1, std::memory_order_relaxed);
      if (connections_.size() >= options_.max_connections) {
        counters_.refused_over_limit.fetch_add(1, std::memory_order_relaxed);
        ::close(fd);
        continue;
      }
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      const std::uint64_t id = next_id_++;
      auto c = std::make_unique<Connection>(cx_, id, fd, transparent);
      Connection* raw = c.get();
      connections_.emplace(id, std::move(c));
      raw->start();
    }
  }

  void take_resolved() {
    std::uint64_t n;
    (void)!::read(wake_fd_, &n, sizeof n);
    std::vector<std::pair<std::uint64_t, ResolvedAddress>> answers;
    std::vector<std::pair<std::uint64_t, bool>> logins;
    {
      std::lock_guard lock(resolved_mutex_);
      answers.swap(resolved_);
      logins.swap(authenticated_);
    }
    for (auto [id, ok] : logins) {
      auto it = connections_.find(id);
      if (it == connections_.end()) continue;  // gone while its login was being checked
      it->second->on_authenticated(ok);
      if (it->second->done()) dead_.push_back(id);
    }
    for (auto& [id, a] : answers) {
      auto it = connections_.find(id);
      if (it == connections_.end()) continue;  // gone while its name was being resolved
      it->second->on_resolved(std::move(a));
      if (it->second->done()) dead_.push_back(id);
    }
  }

  void reap() {
    for (auto& [id, c] : connections_)
      if (c->done()) dead_.push_back(id);
    for (const std::uint64_t id : dead_) connections_.erase(id);
    dead_.clear();
  }

  const ProxyOptions& options_;
  ProxyCounters& counters_;
  EventLoop loop_;
  LoopContext cx_;
  int listen_fd_ = -1;
  int transparent_fd_ = -1;
  int wake_fd_ = -1;
  std::uint64_t next_id_ = 1;
  std::unordered_map<std::uint64_t, std::unique_ptr<Connection>> connections_;
  std::vector<std::uint64_t> dead_;
  std::mutex resolved_mutex_;
  std::vector<std::pair<std::uint64_t, ResolvedAddress>> resolved_;
  std::vector<std::pair<std::uint64_t, bool>> authenticated_;
};

Result<std::unique_ptr<ProxyServer>> ProxyServer::start(const ProxyOptions& options,
                                                        CertMinter& minter,
                                                        std::shared_ptr<const Policy> policy,
                                                        mirror::Mirror* mirror,
                                                        records::ProxiedConnections* notes) {
  std::unique_ptr<ProxyServer> s(new ProxyServer());
  s->options_ = options;
  if (!options.keylog_file.empty()) {
    auto k = KeyLog::open(options.keylog_file);
    if (!k) return k.error();
    s->keylog_ = std::move(k.value());
  }
  auto up = make_upstream_ctx(options.upstream, s->keylog_.get());
  if (!up) return up.error();
  s->upstream_ctx_ = std::move(up.value());
  auto down = make_client_leg_ctx(s->keylog_.get());
  if (!down) return down.error();
  s->client_ctx_ = std::move(down.value());
  s->resolver_ = std::make_unique<Resolver>(2, s->options_.hosts);
  s->policy_.store(std::move(policy));
  ProxyAuth::Options auth_options;
  auth_options.users_file = options.users_file;
  s->auth_ = std::make_unique<ProxyAuth>(options.users, auth_options);
  s->auto_bypass_ = std::make_unique<AutoBypass>(options.auto_bypass_ms, 65536);
  auto guard = DestinationGuard::build(options.allow_destinations);
  if (!guard) return guard.error();
  s->guard_ = std::move(guard.value());
  for (const std::string& own : options.own_endpoints)
    if (auto st = s->guard_->add_own(own); !st)
      return make_error("own endpoint: {}", st.error().message);

  int threads =
      options.threads > 0 ? options.threads : static_cast<int>(std::thread::hardware_concurrency());
  if (threads <= 0) threads = 1;
  if (options.listen.empty() && options.transparent.empty())
    return make_error("nothing to listen on: give an explicit (--listen) or transparent address");
  std::string listen = options.listen, transparent = options.transparent;
  for (int i = 0; i < threads; ++i) {
    int listen_fd = -1, transparent_fd = -1;
    if (!listen.empty()) {
      ListenOptions lo;
      lo.reuse_port = true;
      auto fd = listen_tcp(listen, lo);
      if (!fd) return make_error("--listen: {}", fd.error().message);
      listen_fd = *fd;
      if (i == 0) {
        // Every loop's listener shares the first one's port (SO_REUSEPORT spreads clients).
        s->port_ = bound_port(*fd);
        listen = listen.substr(0, listen.rfind(':')) + ":" + std::to_string(s->port_);
        if (auto st = s->guard_->add_own(listen); !st) return st.error();
      }
    }
    if (!transparent.empty()) {
      ListenOptions lo;
      lo.reuse_port = true;
      lo.transparent = true;
      auto fd = listen_tcp(transparent, lo);
      if (!fd) {
        if (listen_fd >= 0) ::close(listen_fd);
        return make_error("--transparent: {}", fd.error().message);
      }
      transparent_fd = *fd;
      if (i == 0) {
        s->transparent_port_ = bound_port(*fd);
        transparent = transparent.substr(0, transparent.rfind(':')) + ":" +
                      std::to_string(s->transparent_port_);
        if (auto st = s->guard_->add_own(transparent); !st) return st.error();
      }
    }
    auto loop = std::make_unique<Loop>(s->options_, s->counters_, listen_fd, transparent_fd);
    LoopContext& cx = loop->context();
    cx.options = &s->options_;
    cx.upstream_ctx = s->upstream_ctx_.get();
    cx.client_ctx = s->client_ctx_.get();
    cx.minter = &minter;
    cx.mirror = mirror != nullptr ? &mirror->producer(i) : nullptr;
    cx.resolver = s->resolver_.get();
    cx.notes = notes;
    cx.policy = &s->policy_;
    cx.auth = s->auth_.get();
    cx.auto_bypass = s->auto_bypass_.get();
    cx.guard = s->guard_.get();
    cx.transparent_port = s->transparent_port_;
    cx.counters = &s->counters_;
    s->loops_.push_back(std::move(loop));
  }
  for (auto& loop : s->loops_)
    s->threads_.emplace_back([l = loop.get(), stop = &s->stopping_] { l->run(*stop); });
  return s;
}

ProxyServer::~ProxyServer() { stop(); }

std::vector<AutoBypass::Listed> ProxyServer::auto_bypassed() const {
  return auto_bypass_->list(monotonic_ms());
}

void ProxyServer::stop() {
  stopping_.store(true, std::memory_order_release);
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
  // No login answer may arrive for a loop that is gone.
  if (auth_) auth_->stop();
  loops_.clear();
}

}  // namespace kagami::proxy
