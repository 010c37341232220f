#include "kagami/console/http_server.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kagami/base/openssl_errors.h"
#include "kagami/base/tcp_listener.h"
#include "kagami/base/time.h"
#include "kagami/base/tls_server_context.h"

namespace kagami::console {
namespace {

constexpr std::uint64_t kListenTag = ~std::uint64_t{0};
constexpr std::uint64_t kWakeTag = ~std::uint64_t{0} - 1;
constexpr std::size_t kReadChunk = 16 * 1024;
constexpr std::int64_t kLingerMs = 2'000;
constexpr std::size_t kLingerBytes = 1u << 20;  // in all

const char* reason_phrase(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 417:
      return "Expectation Failed";
    case 431:
      return "Request Header Fields Too Large";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Error";
  }
}

}  // namespace

// One client connection. The loop thread owns it, except while a worker answers a request
// (kWorking): then the worker alone touches it, and hands it back.
struct Connection {
  // kLingering: refused; what the client still sends is read and dropped for a moment so
  // that closing does not reset the connection before the refusal is read (RFC 9112 9.6).
  enum class Phase { kHandshake, kIdle, kReading, kWorking, kLingering };
  int fd = -1;
  SSL* ssl = nullptr;
  std::string ip;
  int port = 0;
  Phase phase = Phase::kIdle;
  std::int64_t deadline_ms = 0;
  std::int64_t since_ms = 0;  // when the current phase began (the oldest is evicted first)
  std::uint32_t interest = 0;
  bool registered = false;
  bool continue_sent = false;
  std::size_t served = 0;
  std::size_t lingered = 0;  // bytes dropped after a refusal
  std::string pending;       // bytes read beyond the request being handled (pipelining)
  HttpRequestReader reader;
  std::string request;  // the request, normalized, for the worker
  explicit Connection(const HttpRequestLimits& limits) : reader(limits) {}
  ~Connection() {
    if (ssl != nullptr) SSL_free(ssl);
    if (fd >= 0) ::close(fd);
  }
};

namespace {

// What a worker hands the routes: the request to read, the connection to answer on. Writes
// wait for the client (poll) up to `stall_ms` at a time; after that the answer is abandoned.
class ConnectionStream final : public httplib::Stream {
 public:
  ConnectionStream(Connection& c, std::int64_t stall_ms) : c_(c), stall_ms_(stall_ms) {}

  bool is_readable() const override { return at_ < c_.request.size(); }
  bool is_writable() const override { return !failed_; }
  ssize_t read(char* ptr, size_t size) override {
    const std::size_t n = std::min(size, c_.request.size() - at_);
    std::memcpy(ptr, c_.request.data() + at_, n);
    at_ += n;
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char* ptr, size_t size) override {
    std::size_t done = 0;
    while (done < size && !failed_) {
      const std::size_t want = std::min<std::size_t>(size - done, 1u << 30);
      short wait_for = POLLOUT;
      if (c_.ssl != nullptr) {
        ERR_clear_error();
        const int n = SSL_write(c_.ssl, ptr + done, static_cast<int>(want));
        if (n > 0) {
          done += static_cast<std::size_t>(n);
          continue;
        }
        const int e = SSL_get_error(c_.ssl, n);
        if (e == SSL_ERROR_WANT_READ) {
          wait_for = POLLIN;
        } else if (e != SSL_ERROR_WANT_WRITE) {
          failed_ = true;
          break;
        }
      } else {
        const ssize_t n = ::send(c_.fd, ptr + done, want, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
          done += static_cast<std::size_t>(n);
          continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
          failed_ = true;
          break;
        }
      }
      pollfd p{c_.fd, wait_for, 0};
      if (::poll(&p, 1, static_cast<int>(stall_ms_)) <= 0 || (p.revents & (POLLERR | POLLHUP))) {
        failed_ = true;
        stalled_ = true;
      }
    }
    return failed_ ? -1 : static_cast<ssize_t>(size);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = c_.ip;
    port = c_.port;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage a{};
    socklen_t len = sizeof a;
    ip.clear();
    port = 0;
    if (::getsockname(c_.fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) return;
    char buf[INET6_ADDRSTRLEN] = {};
    if (a.ss_family == AF_INET) {
      const auto& v4 = reinterpret_cast<const sockaddr_in&>(a);
      ::inet_ntop(AF_INET, &v4.sin_addr, buf, sizeof buf);
      port = ntohs(v4.sin_port);
    } else if (a.ss_family == AF_INET6) {
      const auto& v6 = reinterpret_cast<const sockaddr_in6&>(a);
      ::inet_ntop(AF_INET6, &v6.sin6_addr, buf, sizeof buf);
      port = ntohs(v6.sin6_port);
    }
    ip = buf;
  }
  socket_t socket() const override { return c_.fd; }

  bool whole_request_read() const { return at_ == c_.request.size(); }
  bool failed() const { return failed_; }
  bool stalled() const { return stalled_; }

 private:
  Connection& c_;
  std::int64_t stall_ms_;
  std::size_t at_ = 0;
  bool failed_ = false, stalled_ = false;
};

}  // namespace

struct HttpServer::Impl {
  HttpServerOptions options;
  Handler handler;
  TlsContext ctx;  // null: plain HTTP
  int listen_fd = -1, epoll_fd = -1, wake_fd = -1;
  std::uint16_t port = 0;
  HttpServerCounters counters;
  std::atomic<bool> stopping{false};
  std::thread loop_thread;
  std::vector<std::thread> workers;

  // The loop's own state.
  std::unordered_map<Connection*, std::unique_ptr<Connection>> connections;
  std::unordered_map<std::string, std::size_t> per_client;

  // Loop -> workers.
  std::mutex queue_mutex;
  std::condition_variable queue_cv;
  std::deque<Connection*> queue;
  bool workers_stop = false;
  // Workers -> loop.
  std::mutex back_mutex;
  std::vector<std::pair<Connection*, bool>> back;  // (connection, close it)

  std::mutex done_mutex;
  std::condition_variable done_cv;
  bool stopped = false;

  ~Impl() {
    if (listen_fd >= 0) ::close(listen_fd);
    if (epoll_fd >= 0) ::close(epoll_fd);
    if (wake_fd >= 0) ::close(wake_fd);
  }

  void run_loop();
  void run_worker();
  void accept_all();
  void on_event(Connection& c);
  void read_requests(Connection& c);
  void dispatch(Connection& c);
  void take_back();
  void sweep();
  void watch(Connection& c, std::uint32_t events);
  void unwatch(Connection& c);
  void close(Connection& c);
  void refuse(Connection& c, int status, const std::string& why);
  void linger(Connection& c);
  bool make_room();
  void wake() {
    const std::uint64_t one = 1;
    (void)!::write(wake_fd, &one, sizeof one);
  }
};

void HttpServer::Impl::watch(Connection& c, std::uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = &c;
  if (!c.registered) {
    if (::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, c.fd, &ev) == 0) c.registered = true;
  } else if (events != c.interest) {
    ::epoll_ctl(epoll_fd, EPOLL_CTL_MOD, c.fd, &ev);
  }
  c.interest = events;
}

void HttpServer::Impl::unwatch(Connection& c) {
  if (c.registered) ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, c.fd, nullptr);
  c.registered = false;
  c.interest = 0;
}

void HttpServer::Impl::close(Connection& c) {
  unwatch(c);
  if (c.ssl != nullptr && c.phase != Connection::Phase::kHandshake &&
      c.phase != Connection::Phase::kLingering)
    SSL_shutdown(c.ssl);
  if (auto it = per_client.find(c.ip); it != per_client.end() && --it->second == 0)
    per_client.erase(it);
  connections.erase(&c);
}

// An error answered from the loop (small, sent without waiting), then the connection closed.
void HttpServer::Impl::refuse(Connection& c, int status, const std::string& why) {
  const std::string body = "{\"error\":\"" + why + "\"}";
  const std::string r =
      "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\nConnection: close\r\n\r\n" + body;
  if (c.ssl != nullptr && c.phase != Connection::Phase::kHandshake) {
    (void)SSL_write(c.ssl, r.data(), static_cast<int>(r.size()));
    SSL_shutdown(c.ssl);
  } else if (c.ssl == nullptr) {
    (void)::send(c.fd, r.data(), r.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  }
  ::shutdown(c.fd, SHUT_WR);
  c.phase = Connection::Phase::kLingering;
  c.pending.clear();
  c.deadline_ms = monotonic_ms() + kLingerMs;
  watch(c, EPOLLIN);
}

// Reads and drops what a refused client still sends, until it closes, the moment passes or
// it has sent a bounded amount more (a client that keeps sending is not served by reading).
void HttpServer::Impl::linger(Connection& c) {
  char buf[kReadChunk];
  while (c.lingered < kLingerBytes) {
    const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    c.lingered += static_cast<std::size_t>(n);
  }
  close(c);
}

// At the limit: the connection that has waited longest without a request being answered
// (idle between requests, still in its handshake, or still sending its request) goes.
bool HttpServer::Impl::make_room() {
  Connection* oldest = nullptr;
  for (auto& [p, c] : connections)
    if (c->phase != Connection::Phase::kWorking &&
        (oldest == nullptr || c->since_ms < oldest->since_ms))
      oldest = c.get();
  if (oldest == nullptr) return false;
  counters.evicted.fetch_add(1, std::memory_order_relaxed);
  close(*oldest);
  return true;
}

void HttpServer::Impl::accept_all() {
  for (int i = 0; i < 64; ++i) {
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    const int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&peer), &len,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    counters.accepted.fetch_add(1, std::memory_order_relaxed);
    auto c = std::make_unique<Connection>(options.limits);
    c->fd = fd;
    char buf[INET6_ADDRSTRLEN] = {};
    if (peer.ss_family == AF_INET) {
      const auto& v4 = reinterpret_cast<const sockaddr_in&>(peer);
      ::inet_ntop(AF_INET, &v4.sin_addr, buf, sizeof buf);
      c->port = ntohs(v4.sin_port);
    } else if (peer.ss_family == AF_INET6) {
      const auto& v6 = reinterpret_cast<const sockaddr_in6&>(peer);
      ::inet_ntop(AF_INET6, &v6.sin6_addr, buf, sizeof buf);
      c->port = ntohs(v6.sin6_port);
    }
    c->ip = buf;
    if (per_client[c->ip] >= options.max_connections_per_client) {
      counters.refused_per_client.fetch_add(1, std::memory_order_relaxed);
      continue;  // closed by the destructor; the client's other connections go on
    }
    if (connections.size() >= options.max_connections && !make_room()) {
      counters.refused_full.fetch_add(1, std::memory_order_relaxed);
      if (per_client[c->ip] == 0) per_client.erase(c->ip);
      continue;
    }
    ++per_client[c->ip];
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const std::int64_t now = monotonic_ms();
    c->since_ms = now;
    if (ctx) {
      c->ssl = SSL_new(ctx.get());
      if (c->ssl == nullptr || SSL_set_fd(c->ssl, fd) != 1) {
        if (--per_client[c->ip] == 0) per_client.erase(c->ip);
        continue;
      }
      SSL_set_accept_state(c->ssl);
      c->phase = Connection::Phase::kHandshake;
      c->deadline_ms = now + options.handshake_timeout_ms;
    } else {
      c->phase = Connection::Phase::kIdle;
      c->deadline_ms = now + options.idle_timeout_ms;
    }
    Connection& ref = *c;
    connections.emplace(c.get(), std::move(c));
    watch(ref, EPOLLIN);
  }
}

void HttpServer::Impl::on_event(Connection& c) {
  if (c.phase == Connection::Phase::kLingering) return linger(c);
  if (c.phase == Connection::Phase::kHandshake) {
    ERR_clear_error();
    const int rc = SSL_do_handshake(c.ssl);
    if (rc != 1) {
      const int e = SSL_get_error(c.ssl, rc);
      if (e == SSL_ERROR_WANT_READ) return watch(c, EPOLLIN);
      if (e == SSL_ERROR_WANT_WRITE) return watch(c, EPOLLOUT);
      counters.handshakes_failed.fetch_add(1, std::memory_order_relaxed);
      spdlog::debug("console: {}: TLS handshake: {}", c.ip, openssl_errors());
      return close(c);
    }
    const std::int64_t now = monotonic_ms();
    c.phase = Connection::Phase::kIdle;
    c.since_ms = now;
    c.deadline_ms = now + options.idle_timeout_ms;
    watch(c, EPOLLIN);
  }
  read_requests(c);
}

// Reads what the client sent until a request is whole (then a worker gets it), the client
// must be waited for, or the connection ends.
void HttpServer::Impl::read_requests(Connection& c) {
  char buf[kReadChunk];
  while (c.phase == Connection::Phase::kIdle || c.phase == Connection::Phase::kReading) {
    std::size_t n = 0;
    if (!c.pending.empty()) {
      n = std::min(c.pending.size(), sizeof buf);
      std::memcpy(buf, c.pending.data(), n);
      c.pending.erase(0, n);
    } else if (c.ssl != nullptr) {
      ERR_clear_error();
      const int r = SSL_read(c.ssl, buf, sizeof buf);
      if (r <= 0) {
        const int e = SSL_get_error(c.ssl, r);
        if (e == SSL_ERROR_WANT_READ) return watch(c, EPOLLIN);
        if (e == SSL_ERROR_WANT_WRITE) return watch(c, EPOLLOUT);
        return close(c);  // closed, reset or a TLS error: nothing to answer
      }
      n = static_cast<std::size_t>(r);
    } else {
      const ssize_t r = ::recv(c.fd, buf, sizeof buf, 0);
      if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return watch(c, EPOLLIN);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return close(c);
      n = static_cast<std::size_t>(r);
    }
    const std::int64_t now = monotonic_ms();
    const bool was_started = c.reader.started(), had_head = c.reader.head_done();
    const std::size_t used = c.reader.feed(ByteView(reinterpret_cast<const std::uint8_t*>(buf), n));
    if (c.reader.started() && !was_started) {
      c.phase = Connection::Phase::kReading;
      c.since_ms = now;
      c.deadline_ms = now + options.head_timeout_ms;
    }
    if (c.reader.head_done() && !had_head) c.deadline_ms = now + options.body_timeout_ms;
    if (c.reader.failed()) {
      counters.bad_requests.fetch_add(1, std::memory_order_relaxed);
      return refuse(c, c.reader.error_status(), c.reader.error());
    }
    if (used < n) c.pending.insert(0, buf + used, n - used);
    if (c.reader.done()) return dispatch(c);
    if (c.reader.head_done() && c.reader.expects_continue() && !c.continue_sent) {
      // The client waits for this before it sends its body (RFC 9110 10.1.1).
      static constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
      c.continue_sent = true;
      if (c.ssl != nullptr)
        (void)SSL_write(c.ssl, kContinue, sizeof kContinue - 1);
      else
        (void)::send(c.fd, kContinue, sizeof kContinue - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    }
  }
}

void HttpServer::Impl::dispatch(Connection& c) {
  unwatch(c);
  c.phase = Connection::Phase::kWorking;
  c.request = c.reader.normalized();
  {
    std::lock_guard lock(queue_mutex);
    if (queue.size() < options.max_queued_requests) {
      queue.push_back(&c);
      queue_cv.notify_one();
      return;
    }
  }
  counters.overloaded.fetch_add(1, std::memory_order_relaxed);
  c.phase = Connection::Phase::kReading;
  refuse(c, 503, "the console is busy; try again");
}

void HttpServer::Impl::run_worker() {
  while (true) {
    Connection* c = nullptr;
    {
      std::unique_lock lock(queue_mutex);
      queue_cv.wait(lock, [&] { return workers_stop || !queue.empty(); });
      if (queue.empty()) return;
      c = queue.front();
      queue.pop_front();
    }
    counters.requests.fetch_add(1, std::memory_order_relaxed);
    ConnectionStream stream(*c, options.write_stall_ms);
    bool close_it = !c->reader.keep_alive() || stopping.load(std::memory_order_relaxed) ||
                    ++c->served >= options.max_requests_per_connection;
    handler(stream, close_it);
    // A route that answered before reading the whole request (a refusal before the body)
    // leaves bytes nobody may take for a request: the connection ends with the answer.
    if (!stream.whole_request_read() || stream.failed()) close_it = true;
    if (stream.stalled()) counters.write_stalled.fetch_add(1, std::memory_order_relaxed);
    c->request.clear();
    c->request.shrink_to_fit();
    {
      std::lock_guard lock(back_mutex);
      back.emplace_back(c, close_it);
    }
    wake();
  }
}

void HttpServer::Impl::take_back() {
  std::uint64_t n;
  (void)!::read(wake_fd, &n, sizeof n);
  std::vector<std::pair<Connection*, bool>> got;
  {
    std::lock_guard lock(back_mutex);
    got.swap(back);
  }
  const std::int64_t now = monotonic_ms();
  for (auto [c, close_it] : got) {
    if (close_it || stopping.load()) {
      close(*c);
      continue;
    }
    c->reader.reset();
    c->continue_sent = false;
    c->phase = Connection::Phase::kIdle;
    c->since_ms = now;
    c->deadline_ms = now + options.idle_timeout_ms;
    watch(*c, EPOLLIN);
    // A request that came right behind the last one (or bytes TLS already decrypted) would
    // raise no event of its own.
    if (!c->pending.empty() || (c->ssl != nullptr && SSL_pending(c->ssl) > 0)) read_requests(*c);
  }
}

void HttpServer::Impl::sweep() {
  const std::int64_t now = monotonic_ms();
  std::vector<Connection*> late;
  for (auto& [p, c] : connections)
    if (c->phase != Connection::Phase::kWorking && now >= c->deadline_ms) late.push_back(c.get());
  for (Connection* c : late) {
    // A request begun and not finished in time hears why; an idle or half-shaken one does not.
    if (c->phase == Connection::Phase::kLingering) {
      close(*c);
      continue;
    }
    counters.timed_out.fetch_add(1, std::memory_order_relaxed);
    if (c->phase == Connection::Phase::kReading)
      refuse(*c, 408, "the request did not arrive in time");
    else
      close(*c);
  }
}

void HttpServer::Impl::run_loop() {
  std::int64_t last_sweep = monotonic_ms();
  epoll_event events[64];
  while (!stopping.load(std::memory_order_acquire)) {
    const int n = ::epoll_wait(epoll_fd, events, 64, 100);
    for (int i = 0; i < n; ++i) {
      const std::uint64_t tag = events[i].data.u64;
      if (tag == kListenTag) {
        accept_all();
      } else if (tag == kWakeTag) {
        take_back();
      } else {
        auto* c = static_cast<Connection*>(events[i].data.ptr);
        if (connections.count(c) != 0 && c->phase != Connection::Phase::kWorking) on_event(*c);
      }
    }
    const std::int64_t now = monotonic_ms();
    if (now - last_sweep >= 100) {
      last_sweep = now;
      sweep();
    }
  }
  // Stopping: no new requests; the workers finish what they have, what waits is dropped.
  {
    std::lock_guard lock(queue_mutex);
    workers_stop = true;
    for (Connection* c : queue) c->phase = Connection::Phase::kReading;
    queue.clear();
  }
  queue_cv.notify_all();
  for (auto& w : workers) w.join();
  connections.clear();
  per_client.clear();
  {
    std::lock_guard lock(done_mutex);
    stopped = true;
  }
  done_cv.notify_all();
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { stop(); }

Result<std::unique_ptr<HttpServer>> HttpServer::start(const HttpServerOptions& o, Handler handler) {
  auto impl = std::make_unique<Impl>();
  impl->options = o;
  impl->handler = std::move(handler);
  if (o.tls_cert.empty() != o.tls_key.empty())
    return make_error("give both a TLS certificate and its key");
  if (!o.tls_cert.empty()) {
    auto ctx = make_tls_server_context(o.tls_cert, o.tls_key);
    if (!ctx) return ctx.error();
    impl->ctx = std::move(ctx.value());
  }
  ListenOptions lo;
  lo.backlog = 512;
  auto fd = listen_tcp(o.listen, lo);
  if (!fd) return fd.error();
  impl->listen_fd = *fd;
  impl->port = bound_port(*fd);
  impl->epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  impl->wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (impl->epoll_fd < 0 || impl->wake_fd < 0)
    return make_error("console: epoll: {}", std::strerror(errno));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kListenTag;
  ::epoll_ctl(impl->epoll_fd, EPOLL_CTL_ADD, impl->listen_fd, &ev);
  ev.data.u64 = kWakeTag;
  ::epoll_ctl(impl->epoll_fd, EPOLL_CTL_ADD, impl->wake_fd, &ev);
  Impl* raw = impl.get();
  for (std::size_t i = 0; i < std::max<std::size_t>(1, o.workers); ++i)
    impl->workers.emplace_back([raw] { raw->run_worker(); });
  impl->loop_thread = std::thread([raw] { raw->run_loop(); });
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

std::uint16_t HttpServer::port() const { return impl_->port; }
bool HttpServer::tls() const { return impl_->ctx != nullptr; }
const HttpServerCounters& HttpServer::counters() const { return impl_->counters; }

void HttpServer::stop() {
  if (!impl_) return;
  impl_->stopping.store(true, std::memory_order_release);
  impl_->wake();
  if (impl_->loop_thread.joinable()) impl_->loop_thread.join();
}

void HttpServer::wait() {
  std::unique_lock lock(impl_->done_mutex);
  impl_->done_cv.wait(lock, [&] { return impl_->stopped; });
}

}  // namespace kagami::console
