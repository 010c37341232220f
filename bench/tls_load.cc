// tls_load: new HTTPS connections per second, directly or through an HTTP proxy (CONNECT).
// Each of --parallel threads opens a connection, makes a full TLS handshake (no resumption:
// every connection is new to both sides), verifies the server certificate and name, sends one
// GET with "Connection: close", reads the answer to its end and starts over, until --total
// connections are done. Prints "connections ok failed seconds conn/s".
//
//   tls_load --connect 127.0.0.1:8443 --host bench.test --path /small --ca ca.pem
//            [--proxy 127.0.0.1:3128] [--parallel 32] [--total 2000]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

namespace {

struct Options {
  std::string connect, proxy, host, path = "/", ca;
  int parallel = 32;
  int total = 2000;
};

bool parse_addr(const std::string& s, sockaddr_in& out) {
  const std::size_t colon = s.rfind(':');
  if (colon == std::string::npos) return false;
  out = {};
  out.sin_family = AF_INET;
  out.sin_port = htons(static_cast<std::uint16_t>(std::atoi(s.c_str() + colon + 1)));
  return inet_pton(AF_INET, s.substr(0, colon).c_str(), &out.sin_addr) == 1;
}

bool send_all(int fd, const std::string& s) {
  std::size_t done = 0;
  while (done < s.size()) {
    const ssize_t n = send(fd, s.data() + done, s.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

// One connection, start to end. True if the answer was a 200.
bool one(const Options& o, SSL_CTX* ctx, const sockaddr_in& target) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const int one_flag = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one_flag, sizeof one_flag);
  const timeval limit{30, 0};  // a stuck peer fails the connection instead of the run
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  bool ok = connect(fd, reinterpret_cast<const sockaddr*>(&target), sizeof target) == 0;
  if (ok && !o.proxy.empty()) {
    // CONNECT to the address (the proxies need not resolve the name); SNI carries the name.
    ok = send_all(fd, "CONNECT " + o.connect + " HTTP/1.1\r\nHost: " + o.connect + "\r\n\r\n");
    std::string head;
    char c;
    while (ok && head.find("\r\n\r\n") == std::string::npos && head.size() < 4096)
      ok = recv(fd, &c, 1, 0) == 1 && (head.push_back(c), true);
    ok = ok && head.compare(0, 12, "HTTP/1.1 200") == 0;
  }
  SSL* ssl = nullptr;
  if (ok) {
    ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    SSL_set_tlsext_host_name(ssl, o.host.c_str());
    SSL_set1_host(ssl, o.host.c_str());
    ok = SSL_connect(ssl) == 1;
  }
  if (ok) {
    // Host with the port, as browsers send it for a port other than 443 (squid forwards by it).
    const std::string port = o.connect.substr(o.connect.rfind(':') + 1);
    const std::string req = "GET " + o.path + " HTTP/1.1\r\nHost: " + o.host +
                            (port == "443" ? "" : ":" + port) + "\r\nConnection: close\r\n\r\n";
    ok = SSL_write(ssl, req.data(), static_cast<int>(req.size())) == static_cast<int>(req.size());
  }
  std::string answer;
  if (ok) {
    // The answer ends at its Content-Length (some proxies keep the client connection open
    // whatever the server did), or at the close.
    char buf[4096];
    int n;
    std::size_t want = std::string::npos;
    while (answer.size() < want && (n = SSL_read(ssl, buf, sizeof buf)) > 0) {
      answer.append(buf, static_cast<std::size_t>(n));
      const std::size_t end = answer.find("\r\n\r\n");
      if (want == std::string::npos && end != std::string::npos) {
        const std::size_t cl = answer.find("Content-Length: ");
        if (cl != std::string::npos && cl < end)
          want = end + 4 + std::strtoul(answer.c_str() + cl + 16, nullptr, 10);
      }
    }
    ok = answer.compare(0, 12, "HTTP/1.1 200") == 0 &&
         answer.size() >= (want == std::string::npos ? 0 : want);
  }
  if (ssl != nullptr) SSL_free(ssl);
  close(fd);
  ERR_clear_error();
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--connect")
      o.connect = v;
    else if (k == "--proxy")
      o.proxy = v;
    else if (k == "--host")
      o.host = v;
    else if (k == "--path")
      o.path = v;
    else if (k == "--ca")
      o.ca = v;
    else if (k == "--parallel")
      o.parallel = std::atoi(v.c_str());
    else if (k == "--total")
      o.total = std::atoi(v.c_str());
    else {
      std::fprintf(stderr, "tls_load: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  sockaddr_in target{};
  if (!parse_addr(o.proxy.empty() ? o.connect : o.proxy, target) || o.host.empty() ||
      o.ca.empty()) {
    std::fprintf(stderr,
                 "usage: tls_load --connect ADDR:PORT --host NAME --ca PEM [--proxy "
                 "ADDR:PORT] [--path P] [--parallel N] [--total N]\n");
    return 2;
  }
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  if (SSL_CTX_load_verify_locations(ctx, o.ca.c_str(), nullptr) != 1) {
    std::fprintf(stderr, "tls_load: cannot load %s\n", o.ca.c_str());
    return 2;
  }
  std::atomic<int> next{0}, good{0}, bad{0};
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < o.parallel; ++t)
    threads.emplace_back([&] {
      while (next.fetch_add(1) < o.total) (one(o, ctx, target) ? good : bad).fetch_add(1);
    });
  for (auto& t : threads) t.join();
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("connections %d ok %d failed %d seconds %.3f conn/s %.0f\n", o.total, good.load(),
              bad.load(), secs, good.load() / secs);
  SSL_CTX_free(ctx);
  return bad.load() == 0 ? 0 : 1;
}
