#include "kagami/proxy/connection.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include <arpa/inet.h>
#include <linux/netfilter_ipv4.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kagami/base/printable.h"
#include "kagami/base/sha256.h"
#include "kagami/proxy/tls_contexts.h"
#include "kagami/wire/client_hello_scan.h"
#include "kagami/wire/proxy_request.h"
#include "kagami/wire/starttls.h"
#include "kagami/wire/tls_handshake.h"

namespace kagami::proxy {
namespace {

constexpr std::size_t kReadChunk = 64u << 10;
constexpr std::size_t kMaxClassifyBytes = 256u << 10;  // a ClientHello in many small records
constexpr std::int64_t kLingerMs = 2000;  // a bridged client's time to close after all is said

packet::TcpEnd tcp_end(const sockaddr_storage& a, std::uint64_t mac) {
  packet::TcpEnd e;
  e.mac = mac;
  if (a.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(a);
    e.ip = IpAddress::v4(reinterpret_cast<const std::uint8_t*>(&v4.sin_addr));
    e.port = ntohs(v4.sin_port);
  } else if (a.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(a);
    e.ip = IpAddress::v6(reinterpret_cast<const std::uint8_t*>(&v6.sin6_addr));
    e.port = ntohs(v6.sin6_port);
  }
  return e;
}

std::string format_addr(const sockaddr_storage& a) {
  const packet::TcpEnd e = tcp_end(a, 0);
  const std::string ip = e.ip.to_string();
  return (ip.find(':') != std::string::npos ? "[" + ip + "]" : ip) + ":" + std::to_string(e.port);
}

// A fatal TLS alert record (RFC 8446 6): how a refused client learns that it was refused.
void append_alert(std::vector<std::uint8_t>& out, std::uint8_t description) {
  const std::uint8_t alert[] = {21, 3, 3, 0, 2, 2, description};
  out.insert(out.end(), alert, alert + sizeof alert);
}

constexpr std::string_view kProxyAuthRequired =
    "HTTP/1.1 407 Proxy Authentication Required\r\n"
    "Proxy-Authenticate: Basic realm=\"kagami\"\r\nContent-Length: 0\r\n"
    "Connection: close\r\n\r\n";

constexpr std::uint8_t kAlertHandshakeFailure = 40;
constexpr std::uint8_t kAlertAccessDenied = 49;
constexpr std::uint64_t kClientMac = 0x020000000001ull, kServerMac = 0x020000000002ull;

}  // namespace

Connection::Connection(LoopContext& cx, std::uint64_t id, int client_fd, bool transparent)
    : cx_(cx), id_(id), transparent_(transparent) {
  c_.fd = client_fd;
  socklen_t len = sizeof client_addr_;
  ::getpeername(client_fd, reinterpret_cast<sockaddr*>(&client_addr_), &len);
  cx_.counters->active.fetch_add(1, std::memory_order_relaxed);
}

Connection::~Connection() {
  for (Leg* leg : {&c_, &u_}) {
    if (leg->fd < 0) continue;
    if (leg->registered) cx_.loop->remove(leg->fd);
    ::close(leg->fd);
  }
  cx_.counters->active.fetch_sub(1, std::memory_order_relaxed);
}

// Names come from the client: escaped, so no byte of theirs can end the log line or forge
// another.
std::string Connection::describe() const {
  std::string s = format_addr(client_addr_);
  if (!host_.empty()) s += " -> " + printable(host_, 256) + ":" + std::to_string(port_);
  if (!sni_.empty() && sni_ != host_) s += " (sni " + printable(sni_, 256) + ")";
  if (!user_.empty()) s += " user " + printable(user_, 128);
  return s;
}

void Connection::start() {
  rules_ = cx_.policy->load();
  deadline_ms_ = monotonic_ms() + cx_.options->handshake_timeout_ms;
  if (transparent_) return start_transparent();
  update_interest();
}

void Connection::on_event(bool upstream, std::uint32_t events) {
  if (phase_ == Phase::kDone) return;
  Leg& leg = upstream ? u_ : c_;
  if (upstream && phase_ == Phase::kConnecting) {
    if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) on_connected();
  } else {
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) read_leg(upstream);
    if (phase_ != Phase::kDone && (events & EPOLLOUT) && leg.pending() > 0) write_leg(upstream);
  }
  if (phase_ != Phase::kDone) advance();
  if (phase_ != Phase::kDone) update_interest();
}

void Connection::read_leg(bool upstream) {
  Leg& leg = upstream ? u_ : c_;
  std::uint8_t buf[kReadChunk];
  while (!leg.eof) {
    const ssize_t n = ::recv(leg.fd, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR) continue;
      if (upstream && phase_ == Phase::kUpstreamHandshake) {
        // A server that resets its handshake: the client hears of it like any refusal.
        const std::string why =
            std::string("upstream TLS handshake failed: ") + std::strerror(errno);
        cx_.counters->upstream_handshake_failed.fetch_add(1, std::memory_order_relaxed);
        return refuse_client_tls(kAlertHandshakeFailure, why);
      }
      return fail(std::string(upstream ? "upstream" : "client") + " read: " + std::strerror(errno),
                  true);
    }
    if (n == 0) {
      leg.eof = true;
      return;
    }
    const ByteView bytes(buf, static_cast<std::size_t>(n));
    if (leg.ssl && (phase_ == Phase::kRelay || phase_ == Phase::kClientHandshake ||
                    (upstream && phase_ == Phase::kUpstreamHandshake))) {
      BIO_write(leg.rbio, bytes.data(), static_cast<int>(bytes.size()));
    } else if (phase_ == Phase::kRelay) {
      forward(upstream, bytes);
    } else {
      leg.in.insert(leg.in.end(), bytes.begin(), bytes.end());
    }
    if (!has_room(upstream)) return;
    if (static_cast<std::size_t>(n) < sizeof buf) return;  // drained (level-triggered anyway)
  }
}

void Connection::write_leg(bool upstream) {
  Leg& leg = upstream ? u_ : c_;
  while (leg.pending() > 0) {
    const ssize_t n =
        ::send(leg.fd, leg.out.data() + leg.out_off, leg.pending(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EINTR) continue;
      return fail(std::string(upstream ? "upstream" : "client") + " write: " + std::strerror(errno),
                  true);
    }
    leg.out_off += static_cast<std::size_t>(n);
  }
  if (leg.pending() == 0) {
    leg.out.clear();
    leg.out_off = 0;
    if (leg.close_after && !leg.write_shut) {
      ::shutdown(leg.fd, SHUT_WR);
      leg.write_shut = true;
    }
  } else if (leg.out_off > (1u << 20)) {
    leg.out.erase(leg.out.begin(), leg.out.begin() + static_cast<std::ptrdiff_t>(leg.out_off));
    leg.out_off = 0;
  }
}

// Whether bytes read from this leg have somewhere to go: the other side can take more,
// undecrypted bytes are not piling up (a fast server, a descheduled proxy), and the phase's
// bound on held bytes is not reached.
bool Connection::has_room(bool upstream) const {
  const Leg& leg = upstream ? u_ : c_;
  const std::size_t hw = cx_.options->high_water_bytes;
  return backlog(!upstream) < hw && (leg.rbio == nullptr || BIO_ctrl_pending(leg.rbio) < hw) &&
         leg.in.size() <= kMaxClassifyBytes + cx_.options->max_head_bytes;
}

void Connection::update_interest() {
  for (bool upstream : {false, true}) {
    Leg& leg = upstream ? u_ : c_;
    if (leg.fd < 0) continue;
    std::uint32_t want = 0;
    // The upstream is read while the client's first bytes are awaited too: a server that
    // speaks first (SMTP, FTP, POP3, IMAP greetings) decides that the connection is not TLS.
    const bool reading_phase = phase_ != Phase::kResolving && phase_ != Phase::kConnecting &&
                               phase_ != Phase::kAuthenticating;
    if (!leg.eof && reading_phase && has_room(upstream)) want |= EPOLLIN;
    if (leg.pending() > 0 || (upstream && phase_ == Phase::kConnecting)) want |= EPOLLOUT;
    if (!leg.registered) {
      leg.registered = cx_.loop->add(leg.fd, want, tag(id_, upstream));
      leg.interest = want;
    } else if (want != leg.interest) {
      cx_.loop->modify(leg.fd, want, tag(id_, upstream));
      leg.interest = want;
    }
  }
}

void Connection::advance() {
  switch (phase_) {
    case Phase::kRequest:
      return on_request();
    case Phase::kClassify:
      return on_classify();
    case Phase::kPrelude:
      return prelude();
    case Phase::kUpstreamHandshake:
      return drive_upstream_handshake();
    case Phase::kClientHandshake:
      return drive_client_handshake();
    case Phase::kRelay:
      return relay();
    default:
      return;
  }
}

void Connection::reply_and_close(std::string_view response) {
  c_.out.insert(c_.out.end(), response.begin(), response.end());
  c_.close_after = true;
  write_leg(false);
  finish();
}

void Connection::bad_gateway() {
  // An explicit client asked in HTTP and is answered in HTTP; a redirected one spoke to "the
  // server" directly and is refused the way the server would have been unreachable.
  if (transparent_) return fail("the original destination is unreachable", true);
  reply_and_close("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
}

void Connection::fail(std::string_view why, bool rst) {
  if (phase_ == Phase::kDone) return;
  spdlog::info("proxy: {}: {}", describe(), why);
  if (mirror_ && cx_.mirror != nullptr) {
    if (rst) mirror_->rst(wall_clock_ns(), false, cx_.mirror->batch());
    cx_.mirror->flush(false);
  }
  if (rst) {
    // An abortive close, so the peer does not take a cut stream for a complete one.
    for (Leg* leg : {&c_, &u_}) {
      if (leg->fd < 0) continue;
      linger l{1, 0};
      ::setsockopt(leg->fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    }
  }
  phase_ = Phase::kDone;
}

void Connection::finish() {
  if (phase_ == Phase::kDone) return;
  if (mirror_ && cx_.mirror != nullptr) {
    const TimeNs ts = wall_clock_ns();
    mirror_->fin(ts, true, cx_.mirror->batch());
    mirror_->fin(ts, false, cx_.mirror->batch());
    cx_.mirror->flush(false);
  }
  phase_ = Phase::kDone;
}

void Connection::on_request() {
  if (c_.eof && c_.in.empty()) return finish();
  wire::HttpLimits limits;
  limits.max_head_bytes = cx_.options->max_head_bytes;
  const auto parsed = wire::parse_proxy_request(ByteView(c_.in.data(), c_.in.size()), limits);
  using R = wire::ProxyRequestParse::Result;
  if (parsed.result == R::kNeedMore) {
    if (c_.eof) {
      cx_.counters->bad_request.fetch_add(1, std::memory_order_relaxed);
      spdlog::info("proxy: {}: the client closed before its request was whole", describe());
      return finish();
    }
    return;
  }
  if (parsed.result == R::kError) {
    cx_.counters->bad_request.fetch_add(1, std::memory_order_relaxed);
    spdlog::info("proxy: {}: bad request: {}", describe(), printable(parsed.error));
    return reply_and_close(
        "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n"
        "Content-Length: " +
        std::to_string(parsed.error.size() + 1) + "\r\n\r\n" + parsed.error + "\n");
  }
  const wire::ProxyRequest& r = parsed.request;
  host_ = r.host;
  port_ = r.port;
  connect_method_ = r.connect;
  if (r.has_proxy_auth) user_ = r.proxy_user;
  if (!r.connect) origin_head_ = wire::origin_request_head(r);
  c_.in.erase(c_.in.begin(), c_.in.begin() + static_cast<std::ptrdiff_t>(r.head.bytes));
  if (!cx_.auth->required()) return after_login();
  if (!r.has_proxy_auth) {
    cx_.counters->auth_refused.fetch_add(1, std::memory_order_relaxed);
    spdlog::info("proxy: {}: proxy authentication missing", describe());
    return reply_and_close(kProxyAuthRequired);
  }
  // The password is checked off this loop (a slow hash); a login seen lately is known at once.
  phase_ = Phase::kAuthenticating;
  const std::uint64_t id = id_;
  auto post = cx_.post_authenticated;
  switch (cx_.auth->check(client_ip(), r.proxy_user, r.proxy_password,
                          [id, post](bool ok) { post(id, ok); })) {
    case ProxyAuth::Verdict::kOk:
      return after_login();
    case ProxyAuth::Verdict::kPending:
      return;
    case ProxyAuth::Verdict::kBusy:
      spdlog::warn("proxy: {}: logins are queued beyond their bound: refused", describe());
      return reply_and_close(
          "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\n"
          "Connection: close\r\n\r\n");
    case ProxyAuth::Verdict::kThrottled:
    case ProxyAuth::Verdict::kBad:
      return on_authenticated(false);
  }
}

void Connection::on_authenticated(bool ok) {
  if (phase_ != Phase::kAuthenticating && phase_ != Phase::kRequest) return;
  if (!ok) {
    cx_.counters->auth_refused.fetch_add(1, std::memory_order_relaxed);
    spdlog::info("proxy: {}: proxy authentication failed", describe());
    return reply_and_close(kProxyAuthRequired);
  }
  after_login();
  if (phase_ != Phase::kDone) update_interest();
}

void Connection::after_login() {
  if (const Decision d = judge(host_, false); d.action == Action::kBlock) return refuse(d);
  phase_ = Phase::kResolving;
  ResolvedAddress a;
  if (Resolver::numeric(host_, port_, a)) return connect_upstream(a);
  const std::uint64_t id = id_;
  auto post = cx_.post_resolved;
  cx_.resolver->resolve(host_, port_, [id, post](ResolvedAddress answer) { post(id, answer); });
}

void Connection::start_transparent() {
  // REDIRECT keeps the original destination in conntrack (SO_ORIGINAL_DST); TPROXY leaves it
  // as the socket's own address.
  ResolvedAddress orig;
  orig.len = sizeof orig.addr;
  const bool v4 = client_addr_.ss_family == AF_INET;
  constexpr int kIp6tSoOriginalDst = 80;  // linux/netfilter_ipv6/ip6_tables.h
  if (::getsockopt(c_.fd, v4 ? SOL_IP : SOL_IPV6, v4 ? SO_ORIGINAL_DST : kIp6tSoOriginalDst,
                   &orig.addr, &orig.len) != 0) {
    orig.len = sizeof orig.addr;
    ::getsockname(c_.fd, reinterpret_cast<sockaddr*>(&orig.addr), &orig.len);
  }
  const packet::TcpEnd dst = tcp_end(orig.addr, 0);
  host_ = dst.ip.to_string();
  port_ = dst.port;
  if (port_ == cx_.transparent_port) {
    // Addressed to the proxy itself: relaying it would connect the proxy to itself.
    cx_.counters->not_redirected.fetch_add(1, std::memory_order_relaxed);
    spdlog::info("proxy: {}: not redirected: no original destination", describe());
    phase_ = Phase::kDone;
    return;
  }
  if (const Decision d = judge(host_, false); d.action == Action::kBlock) {
    cx_.counters->blocked.fetch_add(1, std::memory_order_relaxed);
    spdlog::info("proxy: {}: block: {}", describe(), d.reason);
    server_addr_ = orig.addr;
    policy_ = failure_ = "block: " + d.reason;
    open_mirror(true);  // a session of its own in the record, refused by the proxy
    phase_ = Phase::kDone;
    return;
  }
  phase_ = Phase::kResolving;
  connect_upstream(orig);
  if (phase_ != Phase::kDone) update_interest();
}

void Connection::on_resolved(ResolvedAddress a) {
  if (phase_ != Phase::kResolving) return;
  if (!a.error.empty()) {
    cx_.counters->upstream_connect_failed.fetch_add(1, std::memory_order_relaxed);
    spdlog::info("proxy: {}: {}", describe(), a.error);
    bad_gateway();
    return;
  }
  connect_upstream(a);
  if (phase_ != Phase::kDone) update_interest();
}

void Connection::connect_upstream(const ResolvedAddress& a) {
  // Every path (CONNECT, absolute-form, transparent) comes here with the address it is about
  // to connect to: that address is judged, not the name or its spelling.
  const sockaddr_storage* to = &a.addr;
  socklen_t to_len = a.len;
  const std::string why = cx_.guard->refusal(a.addr);
  if (!why.empty()) {
    to = nullptr;
    for (const auto& [other, len] : a.others) {
      if (cx_.guard->refusal(other).empty()) {
        to = &other;
        to_len = len;
        break;
      }
    }
    if (to == nullptr) return refuse_destination(a.addr, why);
  }
  server_addr_ = *to;
  u_.fd = ::socket(to->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (u_.fd < 0) return fail(std::string("socket: ") + std::strerror(errno), false);
  const int one = 1;
  ::setsockopt(u_.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  const int rc = ::connect(u_.fd, reinterpret_cast<const sockaddr*>(to), to_len);
  phase_ = Phase::kConnecting;
  if (rc == 0) return on_connected();
  if (errno != EINPROGRESS) {
    cx_.counters->upstream_connect_failed.fetch_add(1, std::memory_order_relaxed);
    spdlog::info("proxy: {}: cannot connect: {}", describe(), std::strerror(errno));
    bad_gateway();
  }
}

// A destination the guard refused: logged, recorded as a connection attempt the "server"
// reset (the mirror never carries a byte to or from it), and refused to the client.
void Connection::refuse_destination(const sockaddr_storage& addr, const std::string& why) {
  cx_.counters->destination_refused.fetch_add(1, std::memory_order_relaxed);
  server_addr_ = addr;
  policy_ = "block: destination";
  failure_ = "destination refused: " + why;
  spdlog::warn("proxy: {}: {}", describe(), failure_);
  open_mirror(true);
  if (transparent_) return fail(failure_, true);
  const std::string body = "kagami proxy: " + failure_ + "\n";
  reply_and_close(
      "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nConnection: close\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body);
}

void Connection::on_connected() {
  int err = 0;
  socklen_t len = sizeof err;
  ::getsockopt(u_.fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) {
    cx_.counters->upstream_connect_failed.fetch_add(1, std::memory_order_relaxed);
    spdlog::info("proxy: {}: cannot connect: {}", describe(), std::strerror(err));
    return bad_gateway();
  }
  // Judged again now that the server's address is known (destination rules).
  const Decision d = judge(host_, true);
  if (d.action == Action::kBlock) {
    if (!transparent_) return refuse(d);
    cx_.counters->blocked.fetch_add(1, std::memory_order_relaxed);
    return fail("block: " + d.reason, false);
  }
  policy_ = action_name(d.action) + ": " + d.reason;
  if (transparent_) {
    // No request to answer: the client's first bytes say what it speaks.
    phase_ = Phase::kClassify;
    return on_classify();
  }
  if (!connect_method_) {
    // An absolute-form request: the rewritten head, then whatever body followed it.
    cx_.counters->relayed_plain.fetch_add(1, std::memory_order_relaxed);
    policy_ = "relay: not TLS";
    phase_ = Phase::kRelay;
    open_mirror();
    // Only this request goes to this server (it was asked to close after it).
    HttpFilterOptions o;
    o.consume_proxy_login = true;
    o.one_request = true;
    filter_ = make_http1_filter(o);
    std::vector<std::uint8_t> first(origin_head_.begin(), origin_head_.end());
    first.insert(first.end(), c_.in.begin(), c_.in.end());
    c_.in.clear();
    forward(false, ByteView(first.data(), first.size()));
    return;
  }
  static constexpr std::string_view kEstablished = "HTTP/1.1 200 Connection established\r\n\r\n";
  c_.out.insert(c_.out.end(), kEstablished.begin(), kEstablished.end());
  phase_ = Phase::kClassify;
  write_leg(false);
  if (phase_ != Phase::kDone) on_classify();
}

void Connection::on_classify() {
  if (upgraded_ && !u_.in.empty()) {
    // After accepting an upgrade the server waits for the client's ClientHello: its plaintext
    // here is injected (CVE-2011-0411's kind), never relayed as if it came over TLS.
    cx_.counters->starttls_violations.fetch_add(1, std::memory_order_relaxed);
    return fail("the server sent plaintext after accepting the upgrade to TLS", true);
  }
  if (c_.in.empty()) {
    if (upgraded_) {
      if (c_.eof || u_.eof) finish();
      return;
    }
    if (!u_.in.empty() && wire::StartTlsWatch::greets(ByteView(u_.in.data(), u_.in.size())))
      return start_prelude();
    if (!u_.in.empty() || u_.eof) return start_plain_relay("not TLS (the server spoke first)");
    if (c_.eof) finish();
    return;
  }
  const auto scan = wire::scan_client_hello(ByteView(c_.in.data(), c_.in.size()));
  using R = wire::ClientHelloScan::Result;
  switch (scan.result) {
    case R::kNeedMore:
      if (c_.eof || c_.in.size() >= kMaxClassifyBytes) {
        cx_.counters->bad_request.fetch_add(1, std::memory_order_relaxed);
        return fail("the client's ClientHello never completed", true);
      }
      return;
    case R::kMalformed:
      cx_.counters->bad_request.fetch_add(1, std::memory_order_relaxed);
      return fail("malformed ClientHello: " + scan.error, true);
    case R::kNotTls:
      if (upgraded_) {
        cx_.counters->starttls_violations.fetch_add(1, std::memory_order_relaxed);
        return fail("the client did not begin TLS after the server accepted the upgrade", true);
      }
      // A client that did not wait for the greeting it answers (SMTP pipelined too early).
      if (!u_.in.empty() && wire::StartTlsWatch::greets(ByteView(u_.in.data(), u_.in.size())))
        return start_prelude();
      // LDAP speaks first, and may ask for StartTLS.
      if (u_.in.empty() && wire::StartTlsWatch::ldap_first(ByteView(c_.in.data(), c_.in.size())))
        return start_prelude(true);
      return start_plain_relay("not TLS");
    case R::kHello: {
      sni_ = scan.hello.sni;
      client_hello_ = scan.body;  // for the record: what the client offered
      const Decision d = judge(asked_name(), true);
      if (d.action == Action::kBlock) {
        cx_.counters->blocked.fetch_add(1, std::memory_order_relaxed);
        policy_ = "block: " + d.reason;
        return refuse_client_tls(kAlertAccessDenied, policy_);
      }
      if (d.action == Action::kBypass) return start_bypass(d.reason);
      if (auto why = cx_.auto_bypass->check(client_ip(), destination(), monotonic_ms())) {
        cx_.counters->auto_bypassed.fetch_add(1, std::memory_order_relaxed);
        return start_bypass("auto: " + *why);
      }
      policy_ = "decrypt: " + d.reason;
      start_upstream_tls();
      // The server is offered what the client offered; the client gets the server's choice.
      // A client that speaks only HTTP/2 lets the server choose HTTP/1.1 too: the proxy then
      // bridges the two (http2_to_http1.h) rather than leave the client without a protocol.
      std::vector<std::string> offer = scan.hello.alpn;
      const auto offered = [&](std::string_view p) {
        return std::find(offer.begin(), offer.end(), p) != offer.end();
      };
      client_h2_only_ = offered("h2") && !offered("http/1.1");
      if (client_h2_only_) offer.emplace_back("http/1.1");
      if (u_.ssl) (void)offer_alpn(u_.ssl.get(), offer);
      if (phase_ == Phase::kUpstreamHandshake) drive_upstream_handshake();
      return;
    }
  }
}

// Bytes either side already sent (the client's first words, or the server's greeting) go out
// first, then the relay carries on.
void Connection::start_plain_relay(std::string_view why) {
  cx_.counters->relayed_plain.fetch_add(1, std::memory_order_relaxed);
  policy_ = "relay: " + std::string(why);
  spdlog::info("proxy: {}: {}, relayed unchanged", describe(), why);
  phase_ = Phase::kRelay;
  // Plain HTTP inside a CONNECT tunnel: the proxy's login is still the proxy's. (The filter
  // steps aside for anything that is not HTTP/1, a server that speaks first included.)
  if (connect_method_ && !transparent_ && !upgraded_) {
    HttpFilterOptions o;
    o.consume_proxy_login = true;
    filter_ = make_http1_filter(o);
  }
  open_mirror();
  relay();
}

void Connection::start_prelude(bool ldap) {
  starttls_ = std::make_unique<wire::StartTlsWatch>();
  if (ldap) starttls_->watch_ldap();
  cx_.counters->relayed_plain.fetch_add(1, std::memory_order_relaxed);
  policy_ = "relay: not TLS (watching for an upgrade to TLS)";
  phase_ = Phase::kPrelude;
  open_mirror();
  prelude();
}

void Connection::prelude() {
  using State = wire::StartTlsWatch::State;
  deadline_ms_ = monotonic_ms() + cx_.options->idle_timeout_ms;
  // The server's words first: its answer decides what the client's held bytes are.
  if (!u_.in.empty()) {
    const std::size_t n = starttls_->server(ByteView(u_.in.data(), u_.in.size()));
    std::vector<std::uint8_t> bytes(u_.in.begin(), u_.in.begin() + static_cast<std::ptrdiff_t>(n));
    u_.in.erase(u_.in.begin(), u_.in.begin() + static_cast<std::ptrdiff_t>(n));
    forward(true, ByteView(bytes.data(), bytes.size()));
    if (phase_ == Phase::kDone) return;
  }
  if (starttls_->state() == State::kViolation) {
    // The client gets what came before (the acceptance), then the end: the TLS it begins
    // finds no one, and the plaintext that followed is never passed on.
    cx_.counters->starttls_violations.fetch_add(1, std::memory_order_relaxed);
    write_leg(false);
    return fail(std::string(starttls_->protocol_name()) + ": " + starttls_->why(), false);
  }
  if (!c_.in.empty() &&
      (starttls_->state() == State::kWatching || starttls_->state() == State::kGaveUp)) {
    const std::size_t n = starttls_->client(ByteView(c_.in.data(), c_.in.size()));
    std::vector<std::uint8_t> bytes(c_.in.begin(), c_.in.begin() + static_cast<std::ptrdiff_t>(n));
    c_.in.erase(c_.in.begin(), c_.in.begin() + static_cast<std::ptrdiff_t>(n));
    forward(false, ByteView(bytes.data(), bytes.size()));
    if (phase_ == Phase::kDone) return;
  }
  write_leg(false);
  if (phase_ == Phase::kDone) return;
  write_leg(true);
  if (phase_ == Phase::kDone) return;
  if (starttls_->state() == State::kAccepted) return begin_upgrade();
  // Nothing more to watch for, or a side ended: the plaintext relay carries the rest (what
  // was held included).
  if (starttls_->state() == State::kGaveUp || c_.eof || u_.eof) {
    if (starttls_->state() == State::kGaveUp)
      spdlog::debug("proxy: {}: no upgrade to TLS: {}", describe(), starttls_->why());
    phase_ = Phase::kRelay;
    relay();
  }
}

void Connection::begin_upgrade() {
  upgraded_ = true;
  cx_.counters->starttls.fetch_add(1, std::memory_order_relaxed);
  spdlog::info("proxy: {}: {}: the server accepted the upgrade to TLS", describe(),
               starttls_->protocol_name());
  phase_ = Phase::kClassify;
  deadline_ms_ = monotonic_ms() + cx_.options->handshake_timeout_ms;
  on_classify();
}

Decision Connection::judge(const std::string& host, bool server_known) {
  ConnectionFacts f;
  f.host = host;
  f.client = tcp_end(client_addr_, 0).ip;
  if (server_known) {
    f.server = tcp_end(server_addr_, 0).ip;
    f.server_known = true;
  }
  f.port = port_;
  return rules_->decide(f);
}

IpAddress Connection::client_ip() const { return tcp_end(client_addr_, 0).ip; }

std::string Connection::destination() const { return asked_name() + ":" + std::to_string(port_); }

// A connection refused during the TLS handshakes still becomes a session in the mirror (its
// handshake and a reset), so the recorder keeps the verdict, the policy and the failure.
void Connection::refused_in_record(const std::string& why) {
  if (failure_.empty()) failure_ = why;
  if (!mirror_) open_mirror();
  // The mirror shows a reset; the client's socket closes gracefully, so the alert queued for
  // it arrives first.
  if (mirror_ && cx_.mirror != nullptr) mirror_->rst(wall_clock_ns(), false, cx_.mirror->batch());
  fail(why, false);
}

// A TLS client refused before its handshake: a fatal alert, then the refusal recorded.
void Connection::refuse_client_tls(std::uint8_t alert, const std::string& why) {
  append_alert(c_.out, alert);
  c_.close_after = true;
  write_leg(false);
  refused_in_record(why);
}

void Connection::refuse(const Decision& d) {
  cx_.counters->blocked.fetch_add(1, std::memory_order_relaxed);
  spdlog::info("proxy: {}: block: {}", describe(), d.reason);
  // The refusal is a session of its own in the record: who asked for what, and the rule that
  // said no. Refused before the name was resolved (nothing is looked up for a blocked name),
  // its server is the unspecified address and the port asked for.
  policy_ = "block: " + d.reason;
  failure_ = policy_;
  if (server_addr_.ss_family == AF_UNSPEC) {
    // In the client's family: a mirrored session's two ends are one IP version.
    if (client_addr_.ss_family == AF_INET6) {
      auto* v6 = reinterpret_cast<sockaddr_in6*>(&server_addr_);
      v6->sin6_family = AF_INET6;
      v6->sin6_port = htons(port_);
      v6->sin6_addr = in6addr_any;
    } else {
      auto* v4 = reinterpret_cast<sockaddr_in*>(&server_addr_);
      v4->sin_family = AF_INET;
      v4->sin_port = htons(port_);
      v4->sin_addr.s_addr = htonl(INADDR_ANY);
    }
  }
  open_mirror(true);
  const std::string body = "blocked by policy: " + d.reason + "\n";
  reply_and_close(
      "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nConnection: close\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body);
}

void Connection::start_bypass(const std::string& why) {
  cx_.counters->bypassed.fetch_add(1, std::memory_order_relaxed);
  policy_ = "bypass: " + why;
  spdlog::info("proxy: {}: {}", describe(), policy_);
  phase_ = Phase::kRelay;
  open_mirror();
  std::vector<std::uint8_t> first;
  first.swap(c_.in);
  forward(false, ByteView(first.data(), first.size()));
  relay();
}

void Connection::start_upstream_tls() {
  u_.ssl.reset(SSL_new(cx_.upstream_ctx));
  if (!u_.ssl) return fail("SSL_new: " + openssl_errors(), true);
  u_.rbio = BIO_new(BIO_s_mem());
  u_.wbio = BIO_new(BIO_s_mem());
  BIO_set_mem_eof_return(u_.rbio, -1);
  SSL_set_bio(u_.ssl.get(), u_.rbio, u_.wbio);
  SSL_set_connect_state(u_.ssl.get());
  // The name the client asked for: its SNI, else the CONNECT host.
  const std::string& name = asked_name();
  if (!sni_.empty()) SSL_set_tlsext_host_name(u_.ssl.get(), sni_.c_str());
  expect_upstream_name(u_.ssl.get(), name);
  SSL_set_tlsext_status_type(u_.ssl.get(), TLSEXT_STATUSTYPE_ocsp);
  phase_ = Phase::kUpstreamHandshake;
}

void Connection::flush_bio(Leg& leg) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(leg.wbio, &data);
  if (n <= 0) return;
  // As bytes, not chars: a copy between different element types is done one byte at a time.
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(data);
  std::size_t sent = 0;
  if (leg.pending() == 0 && leg.fd >= 0 && !leg.write_shut) {
    // Straight from the BIO when nothing waits ahead of these bytes: one copy fewer for each
    // relayed byte. A failed send leaves everything to write_leg, which reports the error.
    const ssize_t s =
        ::send(leg.fd, bytes, static_cast<std::size_t>(n), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (s > 0) sent = static_cast<std::size_t>(s);
  }
  leg.out.insert(leg.out.end(), bytes + sent, bytes + n);
  (void)BIO_reset(leg.wbio);
}

void Connection::drive_upstream_handshake() {
  const int rc = SSL_do_handshake(u_.ssl.get());
  flush_bio(u_);
  write_leg(true);
  if (phase_ == Phase::kDone) return;
  if (rc != 1) {
    const int e = SSL_get_error(u_.ssl.get(), rc);
    if (e == SSL_ERROR_WANT_READ && !u_.eof) return;
    cx_.counters->upstream_handshake_failed.fetch_add(1, std::memory_order_relaxed);
    std::string why = u_.eof ? "the server closed during the handshake" : openssl_errors();
    if (upstream_asked_client_cert(u_.ssl.get())) {
      why = "the server demands a client certificate (" + why + ")";
      cx_.auto_bypass->server_refused(destination(), "the server demands a client certificate",
                                      monotonic_ms());
    }
    return refuse_client_tls(kAlertHandshakeFailure, "upstream TLS handshake failed: " + why);
  }
  verdict_ = upstream_verdict(u_.ssl.get(), cx_.minter->trusted_ca().cert());
  const bool trusted = verdict_.empty();
  if (!trusted) {
    cx_.counters->upstream_invalid.fetch_add(1, std::memory_order_relaxed);
    if (cx_.options->on_invalid_upstream != "untrusted") {
      return refuse_client_tls(kAlertHandshakeFailure, "upstream refused: " + verdict_);
    }
    spdlog::info("proxy: {}: upstream not valid ({}): the client gets an untrusted certificate",
                 describe(), verdict_);
  }
  const unsigned char* alpn = nullptr;
  unsigned alpn_len = 0;
  SSL_get0_alpn_selected(u_.ssl.get(), &alpn, &alpn_len);
  upstream_alpn_.assign(reinterpret_cast<const char*>(alpn), alpn_len);
  client_alpn_ = upstream_alpn_;
  if (client_h2_only_ && (upstream_alpn_.empty() || upstream_alpn_ == "http/1.1"))
    client_alpn_ = "h2";
  auto minted = cx_.minter->mint(SSL_get0_peer_certificate(u_.ssl.get()), asked_name(), trusted);
  if (!minted) return fail(minted.error().message, true);
  start_client_tls(**minted);
}

void Connection::start_client_tls(const MintedCert& cert) {
  c_.ssl.reset(SSL_new(cx_.client_ctx));
  if (!c_.ssl) return fail("SSL_new: " + openssl_errors(), true);
  SSL* s = c_.ssl.get();
  if (SSL_use_certificate(s, cert.leaf.get()) != 1 ||
      SSL_use_PrivateKey(s, cx_.minter->leaf_key()) != 1 ||
      SSL_add1_chain_cert(s, cert.issuer) != 1)
    return fail("cannot use the minted certificate: " + openssl_errors(), true);
  c_.rbio = BIO_new(BIO_s_mem());
  c_.wbio = BIO_new(BIO_s_mem());
  BIO_set_mem_eof_return(c_.rbio, -1);
  SSL_set_bio(s, c_.rbio, c_.wbio);
  SSL_set_accept_state(s);
  answer_alpn_with(s, &client_alpn_);
  // The ClientHello and anything after it, read while the upstream was being checked.
  if (!c_.in.empty()) BIO_write(c_.rbio, c_.in.data(), static_cast<int>(c_.in.size()));
  c_.in.clear();
  c_.in.shrink_to_fit();
  phase_ = Phase::kClientHandshake;
  drive_client_handshake();
}

void Connection::drive_client_handshake() {
  const int rc = SSL_do_handshake(c_.ssl.get());
  flush_bio(c_);
  write_leg(false);
  if (phase_ == Phase::kDone) return;
  if (rc != 1) {
    const int e = SSL_get_error(c_.ssl.get(), rc);
    if (e == SSL_ERROR_WANT_READ && !c_.eof) return;
    cx_.counters->client_handshake_failed.fetch_add(1, std::memory_order_relaxed);
    failure_ = "the client refused the minted certificate or the handshake: " +
               (c_.eof ? std::string("it closed the connection") : openssl_errors());
    // Pinned apps refuse any certificate but the real one: this client is relayed undecrypted
    // to this destination for a while (never every client, nor when others accept it).
    const AutoBypass::Outcome o = cx_.auto_bypass->client_refused(
        client_ip(), destination(), "the client refused the minted certificate", monotonic_ms());
    if (o.added)
      spdlog::warn(
          "proxy: {}: auto-bypass for this client to {}: it refused the minted "
          "certificate",
          describe(), printable(destination()));
    else
      spdlog::info("proxy: {}: no auto-bypass: {}", describe(), o.why_not);
    return refused_in_record(failure_);
  }
  cx_.counters->decrypted.fetch_add(1, std::memory_order_relaxed);
  cx_.auto_bypass->client_accepted(client_ip(), destination(), monotonic_ms());
  spdlog::info("proxy: {}: {} ({}){}", describe(), policy_, SSL_get_version(c_.ssl.get()),
               verdict_.empty() ? "" : ", upstream not valid: " + verdict_);
  phase_ = Phase::kRelay;
  deadline_ms_ = monotonic_ms() + cx_.options->idle_timeout_ms;
  // By what the two legs agreed to speak: HTTP/2 (gRPC's own token is h2 too), HTTP/1 or
  // nothing named (the HTTP/1 filter steps aside for anything else), or another protocol.
  if (client_alpn_ == "h2" && upstream_alpn_ != "h2") {
    Http2ToHttp1::Options o;
    o.strip_alt_svc = cx_.options->strip_alt_svc;
    o.consume_proxy_login = !transparent_;
    o.max_head_bytes = cx_.options->max_head_bytes;
    o.default_authority = port_ == 443 ? asked_name() : asked_name() + ":" + std::to_string(port_);
    bridge_ = Http2ToHttp1::make(o);
    cx_.counters->bridged_h2_h1.fetch_add(1, std::memory_order_relaxed);
    spdlog::info("proxy: {}: HTTP/2 with the client, HTTP/1.1 with the server ({})", describe(),
                 upstream_alpn_.empty() ? "it named no protocol" : upstream_alpn_);
  } else if (!upgraded_ && (cx_.options->strip_alt_svc || !transparent_)) {
    HttpFilterOptions o;
    o.strip_alt_svc = cx_.options->strip_alt_svc;
    // The client named this proxy, so a login in its requests is for the proxy. A client
    // redirected without knowing is not ours to edit.
    o.consume_proxy_login = !transparent_;
    if (upstream_alpn_ == "h2" || upstream_alpn_ == "grpc-exp")
      filter_ = make_http2_filter(o);
    else if (upstream_alpn_.empty() || upstream_alpn_.rfind("http/1", 0) == 0)
      filter_ = make_http1_filter(o);
  }
  open_mirror();
  relay();
}

void Connection::open_mirror(bool refused) {
  deadline_ms_ = monotonic_ms() + cx_.options->idle_timeout_ms;
  if (cx_.mirror == nullptr) return;
  note_connection(refused);
  if (mirror_) return;
  std::uniform_int_distribution<std::uint32_t> isn;
  mirror_.emplace(tcp_end(client_addr_, kClientMac), tcp_end(server_addr_, kServerMac),
                  isn(cx_.rng), isn(cx_.rng), cx_.options->segment_bytes);
  if (refused) {
    mirror_->refuse(wall_clock_ns(), cx_.mirror->batch());
    cx_.mirror->flush(false);
    return;
  }
  mirror_->open(wall_clock_ns(), cx_.mirror->batch());
}

// Noted before the first packet leaves, so the recorder finds it when the session ends; noted
// again when a STARTTLS upgrade was decrypted (a reused 4-tuple's note is replaced).
void Connection::note_connection(bool refused) {
  if (cx_.notes != nullptr) {
    records::ProxiedConnection n;
    const packet::TcpEnd c = tcp_end(client_addr_, 0), s = tcp_end(server_addr_, 0);
    n.client_ip = c.ip;
    n.client_port = c.port;
    n.server_ip = s.ip;
    n.server_port = s.port;
    n.host = host_;
    n.sni = sni_;
    n.user = user_;
    n.decrypted = c_.ssl != nullptr && phase_ == Phase::kRelay;
    n.connected = !refused;
    n.policy = policy_;
    n.upstream_verdict = verdict_;
    n.failure = failure_;
    n.client_hello = std::move(client_hello_);
    n.again = mirror_.has_value();
    if (n.decrypted) {
      n.client_version =
          wire::tls_version_name(static_cast<std::uint16_t>(SSL_version(c_.ssl.get())));
      n.client_cipher = SSL_CIPHER_standard_name(SSL_get_current_cipher(c_.ssl.get()));
      const unsigned char* alpn = nullptr;
      unsigned alpn_len = 0;
      SSL_get0_alpn_selected(c_.ssl.get(), &alpn, &alpn_len);
      n.alpn.assign(reinterpret_cast<const char*>(alpn), alpn_len);
    }
    if (u_.ssl) {
      n.upstream_version =
          wire::tls_version_name(static_cast<std::uint16_t>(SSL_version(u_.ssl.get())));
      n.upstream_cipher = SSL_CIPHER_standard_name(SSL_get_current_cipher(u_.ssl.get()));
      if (X509* peer = SSL_get0_peer_certificate(u_.ssl.get())) {
        const int len = i2d_X509(peer, nullptr);
        if (len > 0) {
          n.upstream_cert_der.resize(static_cast<std::size_t>(len));
          unsigned char* p = n.upstream_cert_der.data();
          i2d_X509(peer, &p);
        }
      }
      if (STACK_OF(X509)* chain = SSL_get_peer_cert_chain(u_.ssl.get()))
        n.upstream_cert_count = static_cast<std::uint32_t>(sk_X509_num(chain));
    }
    cx_.notes->note(std::move(n));
  }
}

// The mirror and the recorder see what the client sent and what the client got: the client
// leg, before the filter's edits of requests and after its edits of responses.
void Connection::forward(bool from_upstream, ByteView plain) {
  if (bridge_) return bridge_step(from_upstream, plain);
  if (!filter_) return deliver(from_upstream, plain);
  filtered_.clear();
  const std::uint64_t stripped = filter_->alt_svc_stripped(), consumed = filter_->logins_consumed(),
                      dropped = filter_->requests_dropped();
  const Status s = from_upstream ? filter_->from_server(plain, filtered_)
                                 : filter_->from_client(plain, filtered_);
  auto& c = *cx_.counters;
  c.alt_svc_stripped.fetch_add(filter_->alt_svc_stripped() - stripped, std::memory_order_relaxed);
  c.logins_consumed.fetch_add(filter_->logins_consumed() - consumed, std::memory_order_relaxed);
  if (filter_->requests_dropped() != dropped) {
    c.pipelined_dropped.fetch_add(1, std::memory_order_relaxed);
    spdlog::info("proxy: {}: what followed the plain request is not sent on", describe());
  }
  if (!s) {
    if (from_upstream) c.response_refused.fetch_add(1, std::memory_order_relaxed);
    return fail((from_upstream ? "upstream: " : "client: ") + s.error().message, from_upstream);
  }
  if (from_upstream) return deliver(true, ByteView(filtered_.data(), filtered_.size()));
  mirror_copy(false, plain);
  send_to(u_, ByteView(filtered_.data(), filtered_.size()));
}

void Connection::deliver(bool from_upstream, ByteView plain) {
  if (plain.empty()) return;
  mirror_copy(from_upstream, plain);
  send_to(from_upstream ? c_ : u_, plain);
}

void Connection::mirror_copy(bool to_client, ByteView plain) {
  if (plain.empty()) return;
  (to_client ? bytes_s2c_ : bytes_c2s_) += plain.size();
  (to_client ? cx_.counters->bytes_s2c : cx_.counters->bytes_c2s)
      .fetch_add(plain.size(), std::memory_order_relaxed);
  if (mirror_ && cx_.mirror != nullptr) {
    mirror_->data(wall_clock_ns(), !to_client, plain, cx_.mirror->batch());
    cx_.mirror->flush(false);
  }
}

void Connection::send_to(Leg& to, ByteView plain) {
  if (plain.empty() || to.close_after) return;
  if (to.ssl) {
    // The contexts allow partial writes, and a write stops at one record (16 KiB): edited and
    // bridged output can be longer (a held head, a re-encoded header block).
    for (std::size_t off = 0; off < plain.size();) {
      const int n =
          SSL_write(to.ssl.get(), plain.data() + off,
                    static_cast<int>(std::min<std::size_t>(plain.size() - off, 1u << 30)));
      if (n <= 0) return fail("TLS write: " + openssl_errors(), true);  // a memory BIO takes all
      off += static_cast<std::size_t>(n);
    }
    flush_bio(to);
  } else {
    to.out.insert(to.out.end(), plain.begin(), plain.end());
  }
}

// A bridged connection: the client's leg is HTTP/2 and is what the mirror carries; the
// server's leg is the bridge's HTTP/1.1, which the mirror does not repeat.
void Connection::bridge_step(bool from_upstream, ByteView plain) {
  bridged_.clear();
  const std::uint64_t before = bridge_->stripped(), consumed = bridge_->logins_consumed();
  Status s;
  if (from_upstream) {
    bridge_->from_server(plain, bridged_);
  } else {
    mirror_copy(false, plain);
    s = bridge_->from_client(plain, bridged_);
  }
  cx_.counters->alt_svc_stripped.fetch_add(bridge_->stripped() - before, std::memory_order_relaxed);
  cx_.counters->logins_consumed.fetch_add(bridge_->logins_consumed() - consumed,
                                          std::memory_order_relaxed);
  if (std::string why = bridge_->take_server_error(); !why.empty()) {
    cx_.counters->response_refused.fetch_add(1, std::memory_order_relaxed);
    spdlog::info("proxy: {}: upstream: {}", describe(), printable(why));
  }
  send_bridged();
  if (!s) return fail("client: " + s.error().message, false);
}

// What a bridge step gave the legs: the client's share is mirrored (it is the client's leg),
// the server's is not.
void Connection::send_bridged() {
  mirror_copy(true, ByteView(bridged_.to_client.data(), bridged_.to_client.size()));
  send_to(c_, ByteView(bridged_.to_client.data(), bridged_.to_client.size()));
  send_to(u_, ByteView(bridged_.to_server.data(), bridged_.to_server.size()));
}

std::size_t Connection::backlog(bool toward_upstream) const {
  const Leg& to = toward_upstream ? u_ : c_;
  return to.pending() + (bridge_ && !toward_upstream ? bridge_->held_for_client() : 0);
}

// A leg the bridge no longer needs: TLS closed, then the socket's writing side.
void Connection::close_leg(Leg& leg) {
  if (leg.close_after) return;
  if (leg.ssl) {
    SSL_shutdown(leg.ssl.get());
    flush_bio(leg);
  }
  leg.close_after = true;
  if (leg.pending() == 0 && !leg.write_shut && leg.fd >= 0) {
    ::shutdown(leg.fd, SHUT_WR);
    leg.write_shut = true;
  }
}

// A bridged connection ends by the bridge's state, not by either side's close alone: the
// server's leg when no request will go to it again, the client's when the bridge has said
// everything (or the client is gone too).
void Connection::settle_bridge() {
  if (bridge_->server_done()) close_leg(u_);
  if (!c_.close_after && (bridge_->finished() || (u_.eof && c_.eof))) {
    close_leg(c_);
    if (mirror_ && cx_.mirror != nullptr) {
      mirror_->fin(wall_clock_ns(), false, cx_.mirror->batch());
      cx_.mirror->flush(false);
    }
  }
  if (bridge_->finished()) close_leg(u_);
}

bool Connection::pump_tls(bool from_upstream) {
  Leg& from = from_upstream ? u_ : c_;
  std::uint8_t buf[16384];
  while (true) {
    if (backlog(!from_upstream) >= cx_.options->high_water_bytes) return true;
    const int n = SSL_read(from.ssl.get(), buf, sizeof buf);
    if (n > 0) {
      forward(from_upstream, ByteView(buf, static_cast<std::size_t>(n)));
      if (phase_ == Phase::kDone) return false;  // the HTTP filter refused the server
      continue;
    }
    const int e = SSL_get_error(from.ssl.get(), n);
    flush_bio(from);  // key updates and tickets answer back
    if (e == SSL_ERROR_WANT_READ) {
      if (from.eof) end_direction(from_upstream);  // closed without close_notify
      return false;
    }
    if (e == SSL_ERROR_ZERO_RETURN) {
      end_direction(from_upstream);
      return false;
    }
    std::string why = openssl_errors();
    // TLS 1.3 servers judge the client's certificate after their handshake is over.
    if (from_upstream && upstream_asked_client_cert(from.ssl.get())) {
      why = "the server demands a client certificate (" + why + ")";
      cx_.auto_bypass->server_refused(destination(), "the server demands a client certificate",
                                      monotonic_ms());
    }
    fail(std::string(from_upstream ? "upstream" : "client") + " TLS error: " + why, true);
    return false;
  }
}

void Connection::end_direction(bool from_upstream) {
  Leg& from = from_upstream ? u_ : c_;
  Leg& to = from_upstream ? c_ : u_;
  if (bridge_) {
    from.eof = true;
    bool& seen = bridge_ended_[from_upstream];
    if (seen) return settle_bridge();
    seen = true;
    if (from_upstream) {
      // The server closed: what it sent is over; the client hears it in HTTP/2.
      bridged_.clear();
      bridge_->server_ended(bridged_);
      send_bridged();
      close_leg(u_);
    } else {
      // The client closed: no request will come, and the server's leg goes too.
      close_leg(u_);
      if (mirror_ && cx_.mirror != nullptr) {
        mirror_->fin(wall_clock_ns(), true, cx_.mirror->batch());
        cx_.mirror->flush(false);
      }
    }
    return settle_bridge();
  }
  if (to.close_after) return;
  from.eof = true;
  if (filter_ && from_upstream) {
    filtered_.clear();
    filter_->server_ended(filtered_);
    deliver(true, ByteView(filtered_.data(), filtered_.size()));
  }
  if (to.ssl) {
    SSL_shutdown(to.ssl.get());
    flush_bio(to);
  }
  to.close_after = true;
  if (mirror_ && cx_.mirror != nullptr) {
    mirror_->fin(wall_clock_ns(), !from_upstream, cx_.mirror->batch());
    cx_.mirror->flush(false);
  }
}

void Connection::relay_plain(bool from_upstream) {
  Leg& from = from_upstream ? u_ : c_;
  if (!from.in.empty()) {
    std::vector<std::uint8_t> bytes;
    bytes.swap(from.in);
    forward(from_upstream, ByteView(bytes.data(), bytes.size()));
  }
  if (from.eof) end_direction(from_upstream);
}

void Connection::relay() {
  deadline_ms_ =
      linger_until_ms_ != 0 ? linger_until_ms_ : monotonic_ms() + cx_.options->idle_timeout_ms;
  // Decrypted bytes wait inside the TLS objects while a side is full, where no socket event
  // would announce them: go on as long as sending made room again. Nothing is read here, so
  // every further round moves bytes already held, and the loop ends.
  const std::size_t hw = cx_.options->high_water_bytes;
  while (true) {
    bool blocked[2] = {false, false};  // [from_upstream]: stopped because the other side is full
    for (bool from_upstream : {false, true}) {
      if (phase_ == Phase::kDone) return;
      Leg& from = from_upstream ? u_ : c_;
      if (from.ssl)
        blocked[from_upstream] = pump_tls(from_upstream);
      else
        relay_plain(from_upstream);
    }
    if (phase_ == Phase::kDone) return;
    write_leg(false);
    if (phase_ == Phase::kDone) return;
    write_leg(true);
    if (phase_ == Phase::kDone) return;
    const bool more = (blocked[1] && backlog(false) < hw) || (blocked[0] && backlog(true) < hw);
    if (!more) break;
  }
  if (bridge_) settle_bridge();
  // Over when both directions ended and everything was delivered.
  if (c_.close_after && u_.close_after && c_.pending() == 0 && u_.pending() == 0) {
    // An HTTP/2 client still acknowledges the last data it got after the bridge has said all:
    // closing with those bytes unread would reset the connection, and the client would lose
    // what it had not read yet. So wait for its end, briefly, as web servers linger.
    if (bridge_ && !c_.eof) {
      if (linger_until_ms_ == 0) linger_until_ms_ = monotonic_ms() + kLingerMs;
      deadline_ms_ = linger_until_ms_;
      return;
    }
    finish();
  }
}

void Connection::check_timeout(std::int64_t now_ms) {
  if (phase_ == Phase::kDone || now_ms < deadline_ms_) return;
  if (linger_until_ms_ != 0) return finish();  // the client did not close: enough
  cx_.counters->timed_out.fetch_add(1, std::memory_order_relaxed);
  fail(phase_ == Phase::kRelay ? "idle timeout" : "timed out before the relay began", true);
}

}  // namespace kagami::proxy
