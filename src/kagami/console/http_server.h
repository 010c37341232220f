#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "kagami/base/result.h"
#include "kagami/console/http_request_reader.h"

namespace httplib {
class Stream;
}

namespace kagami::console {

// Every bound of the console's HTTP server, named (defaults for a console a team shares).
struct HttpServerOptions {
  std::string listen;                           // "ADDR:PORT", numeric; port 0: any free one
  std::string tls_cert, tls_key;                // PEM; both empty: plain HTTP
  std::size_t workers = 8;                      // threads that run the routes
  HttpRequestLimits limits;                     // head, target, fields, body (chunked too)
  std::int64_t handshake_timeout_ms = 10'000;   // TLS, from the connection's start
  std::int64_t head_timeout_ms = 10'000;        // from a request's first byte to its head's end
  std::int64_t body_timeout_ms = 30'000;        // from the head's end to the body's end
  std::int64_t idle_timeout_ms = 30'000;        // between requests on a kept connection
  std::int64_t write_stall_ms = 30'000;         // an answer nobody reads for this long is dropped
  std::size_t max_connections = 512;            // in all
  std::size_t max_connections_per_client = 32;  // from one address (a browser opens ~6)
  std::size_t max_queued_requests = 256;        // complete, waiting for a worker: 503 beyond
  std::size_t max_requests_per_connection = 1000;
};

struct HttpServerCounters {
  std::atomic<std::uint64_t> accepted{0}, requests{0};
  std::atomic<std::uint64_t> refused_full{0};        // no connection could make room
  std::atomic<std::uint64_t> refused_per_client{0};  // one address had too many
  std::atomic<std::uint64_t> evicted{0};             // idle or slow, closed to make room
  std::atomic<std::uint64_t> timed_out{0};           // handshake, head, body or idle too slow
  std::atomic<std::uint64_t> bad_requests{0};        // answered 4xx/5xx by the reader
  std::atomic<std::uint64_t> handshakes_failed{0};
  std::atomic<std::uint64_t> overloaded{0};     // 503: every worker busy and the queue full
  std::atomic<std::uint64_t> write_stalled{0};  // the client stopped reading an answer
};

// The console's HTTP/1.1 server. One thread owns every connection while it is read — the TLS
// handshake and each request's head and body, each under its own deadline — so a slow or
// silent client costs a descriptor, never a thread; only a whole request, read and checked by
// HttpRequestReader, reaches a worker. The worker reads the request normalized (one request,
// nothing of the next) and writes its answer on the connection, then hands the connection back
// to be read again, or closes it: after an error, when asked, after `Connection: close`, and
// whenever the routes did not read the whole request (no leftover can become a request).
class HttpServer {
 public:
  // `handler` answers one request: it reads it from the stream and writes the answer there;
  // setting `close` ends the connection afterwards.
  using Handler = std::function<void(httplib::Stream& stream, bool& close)>;

  static Result<std::unique_ptr<HttpServer>> start(const HttpServerOptions& options,
                                                   Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  std::uint16_t port() const;
  bool tls() const;
  const HttpServerCounters& counters() const;
  void stop();  // closes every connection, joins the threads
  void wait();  // until stop()

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kagami::console
