#include "kagami/capture/pcap_over_ip_source.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kagami/base/tcp_listener.h"

namespace kagami::capture {
namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string peer_of(int fd) {
  sockaddr_storage a{};
  socklen_t len = sizeof a;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) return "?";
  char host[INET6_ADDRSTRLEN] = {};
  std::uint16_t port = 0;
  if (a.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(a);
    ::inet_ntop(AF_INET, &v4.sin_addr, host, sizeof host);
    port = ntohs(v4.sin_port);
    return std::string(host) + ":" + std::to_string(port);
  }
  const auto& v6 = reinterpret_cast<const sockaddr_in6&>(a);
  ::inet_ntop(AF_INET6, &v6.sin6_addr, host, sizeof host);
  port = ntohs(v6.sin6_port);
  return "[" + std::string(host) + "]:" + std::to_string(port);
}

}  // namespace

Result<std::unique_ptr<PcapOverIpSource>> PcapOverIpSource::open(const PcapOverIpOptions& o) {
  if (o.connect.empty() == o.listen.empty())
    return make_error("pcap-over-IP: give a sender to connect to or an address to listen on");
  auto src = std::unique_ptr<PcapOverIpSource>(new PcapOverIpSource());
  src->options_ = o;
  if (::pipe2(src->wake_, O_NONBLOCK | O_CLOEXEC) != 0)
    return make_error("pcap-over-IP: pipe: {}", std::strerror(errno));
  if (!o.listen.empty()) {
    auto fd = listen_tcp(o.listen, ListenOptions{});
    if (!fd) return make_error("pcap-over-IP: {}", fd.error().message);
    src->listen_fd_ = fd.value();
    src->port_ = bound_port(src->listen_fd_);
    src->name_ = "pcap-over-ip listening on " + o.listen.substr(0, o.listen.rfind(':') + 1) +
                 std::to_string(src->port_);
  } else {
    // Checked now, so a mistyped address is an error at start, not a retry loop.
    if (auto a = parse_socket_address(o.connect); !a)
      return make_error("pcap-over-IP: {}", a.error().message);
    src->name_ = "pcap-over-ip from " + o.connect;
    src->backoff_ms_ = o.first_backoff_ms;
  }
  return src;
}

PcapOverIpSource::~PcapOverIpSource() {
  for (auto& s : senders_)
    if (s->fd >= 0) ::close(s->fd);
  if (listen_fd_ >= 0) ::close(listen_fd_);
  for (int fd : wake_)
    if (fd >= 0) ::close(fd);
}

void PcapOverIpSource::break_loop() {
  const char b = 1;
  (void)!::write(wake_[1], &b, 1);
}

void PcapOverIpSource::dial() {
  auto fd = connect_tcp(options_.connect);
  if (!fd) {
    spdlog::warn("{}: {}; trying again in {} ms", name_, fd.error().message, backoff_ms_);
    next_dial_ms_ = now_ms() + backoff_ms_;
    backoff_ms_ = std::min(backoff_ms_ * 2, options_.max_backoff_ms);
    return;
  }
  auto s = std::make_unique<Sender>();
  s->fd = fd.value();
  s->connecting = true;
  s->peer = options_.connect;
  senders_.push_back(std::move(s));
}

void PcapOverIpSource::accept_senders() {
  for (;;) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    if (senders_.size() >= options_.max_senders) {
      spdlog::warn("{}: {} refused: {} senders already", name_, peer_of(fd), senders_.size());
      ++stats_.streams_refused;
      ::close(fd);
      continue;
    }
    auto s = std::make_unique<Sender>();
    s->fd = fd;
    s->peer = peer_of(fd);
    ++stats_.streams;
    spdlog::info("{}: {} connected", name_, s->peer);
    senders_.push_back(std::move(s));
  }
}

bool PcapOverIpSource::read_from(Sender& s) {
  std::uint8_t buf[64 * 1024];
  for (int n = 0; n < 4; ++n) {  // a bounded amount per turn, so other senders get theirs
    const ssize_t got = ::recv(s.fd, buf, sizeof buf, 0);
    if (got > 0) {
      s.stream.feed(ByteView(buf, static_cast<std::size_t>(got)));
      if (static_cast<std::size_t>(got) < sizeof buf) return true;
      continue;
    }
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return true;
    return false;  // closed, or an error
  }
  return true;
}

void PcapOverIpSource::drop(std::size_t i, const std::string& why, bool refused) {
  Sender& s = *senders_[i];
  if (refused) {
    ++stats_.streams_refused;
    spdlog::warn("{}: {} refused: {}", name_, s.peer, why);
  } else {
    if (s.stream.pending() > 0) {
      ++stats_.records_cut;
      spdlog::warn("{}: {} went away in the middle of a record ({} bytes lost)", name_, s.peer,
                   s.stream.pending());
    } else {
      spdlog::info("{}: {} went away{}", name_, s.peer, why.empty() ? "" : ": " + why);
    }
  }
  ::close(s.fd);
  senders_.erase(senders_.begin() + static_cast<std::ptrdiff_t>(i));
  if (!options_.connect.empty()) {
    next_dial_ms_ = now_ms() + backoff_ms_;
    backoff_ms_ = std::min(backoff_ms_ * 2, options_.max_backoff_ms);
  }
}

bool PcapOverIpSource::take_from(Sender& s, RawPacket& out) {
  if (!s.stream.take(out)) return false;
  if (!have_link_) {
    have_link_ = true;
    link_type_ = s.stream.link_type();
    snaplen_ = std::clamp<std::uint32_t>(s.stream.snaplen(), 1, PcapStream::kMaxRecordBytes);
  }
  return true;
}

std::string PcapOverIpSource::wrong_link(const Sender& s) const {
  if (!have_link_ || !s.stream.has_header() || s.stream.link_type() == link_type_) return {};
  return "link type " + std::to_string(s.stream.link_type()) + ", the recording's is " +
         std::to_string(link_type_);
}

NextStatus PcapOverIpSource::next(RawPacket& out) {
  const std::int64_t deadline = now_ms() + options_.timeout_ms;
  for (;;) {
    // Records already here, from each sender in turn. A sender dropped changes the turn
    // order: the call returns and the next one goes on.
    for (std::size_t n = 0; n < senders_.size(); ++n) {
      const std::size_t i = (next_sender_ + n) % senders_.size();
      Sender& s = *senders_[i];
      if (std::string why = wrong_link(s); !why.empty()) {
        drop(i, why, true);
        return NextStatus::kTimeout;
      }
      if (take_from(s, out)) {
        if (std::string why = wrong_link(s); !why.empty()) {
          drop(i, why, true);
          return NextStatus::kTimeout;
        }
        backoff_ms_ = options_.first_backoff_ms;  // a sender that works: retry quickly again
        next_sender_ = (i + 1) % senders_.size();
        out.link_type = link_type_;
        ++stats_.received;
        return NextStatus::kPacket;
      }
      if (s.stream.failed()) {
        drop(i, s.stream.error(), true);
        return NextStatus::kTimeout;
      }
      if (s.ended) {  // gone, and every whole record it sent taken
        drop(i, "", false);
        return NextStatus::kTimeout;
      }
    }
    std::int64_t now = now_ms();
    if (!options_.connect.empty() && senders_.empty() && now >= next_dial_ms_) dial();
    std::int64_t wait = deadline - now;
    if (!options_.connect.empty() && senders_.empty()) wait = std::min(wait, next_dial_ms_ - now);
    if (wait <= 0) return NextStatus::kTimeout;

    std::vector<pollfd> fds;
    fds.push_back({wake_[0], POLLIN, 0});
    if (listen_fd_ >= 0) fds.push_back({listen_fd_, POLLIN, 0});
    const std::size_t first = fds.size();
    for (const auto& s : senders_)
      fds.push_back({s->fd, static_cast<short>(s->connecting ? POLLOUT : POLLIN), 0});
    const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(wait));
    if (ready < 0 && errno != EINTR) {
      error_ = std::string("poll: ") + std::strerror(errno);
      return NextStatus::kError;
    }
    if (ready <= 0) continue;
    if (fds[0].revents != 0) {
      char drain[64];
      while (::read(wake_[0], drain, sizeof drain) > 0) {
      }
      return NextStatus::kTimeout;  // the recorder looks at its stop flag
    }
    // Senders first (by index, from the last, so dropping one keeps the others' indices).
    for (std::size_t k = senders_.size(); k-- > 0;) {
      const short ev = fds[first + k].revents;
      if (ev == 0) continue;
      Sender& s = *senders_[k];
      if (s.connecting) {
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
          spdlog::warn("{}: connect: {}; trying again in {} ms", name_, std::strerror(err),
                       backoff_ms_);
          ::close(s.fd);
          senders_.erase(senders_.begin() + static_cast<std::ptrdiff_t>(k));
          next_dial_ms_ = now_ms() + backoff_ms_;
          backoff_ms_ = std::min(backoff_ms_ * 2, options_.max_backoff_ms);
          continue;
        }
        s.connecting = false;
        ++stats_.streams;
        spdlog::info("{}: connected", name_);
        continue;
      }
      // A sender that closed may have sent whole records with its last bytes: they are taken
      // first, then it is let go.
      if (!read_from(s)) s.ended = true;
    }
    if (listen_fd_ >= 0 && fds[1].revents != 0) accept_senders();
  }
}

}  // namespace kagami::capture
