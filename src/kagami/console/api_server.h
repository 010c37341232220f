#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "kagami/base/result.h"

namespace kagami::console {

struct ServeOptions {
  std::string store;
  std::string listen = "127.0.0.1:8443";  // ADDR:PORT; port 0: any free one
  std::string tls_cert, tls_key;          // empty: the console's own, made in STORE/console
  bool plain_http = false;                // only on a loopback address (behind a TLS proxy)
  std::size_t threads = 8;
  std::uint32_t query_budget_ms = 10'000;         // each search statement
  std::size_t max_body_bytes = 64 * 1024;         // request bodies (JSON) beyond this: 413
  std::size_t max_connections = 512;              // open at once, in all
  std::size_t max_connections_per_client = 32;    // from one address
  std::int64_t head_timeout_ms = 10'000;          // a request's head must arrive within this
  std::int64_t body_timeout_ms = 30'000;          // and its body within this after it
  std::int64_t idle_timeout_ms = 30'000;          // a kept connection without a request
  std::uint64_t max_download_bytes = 1ull << 30;  // a file or pcap larger than this: refused
  // Different queries of one shape (query_rate.h) a user may ask within ten minutes: viewers,
  // whose findings are masked, and the other roles.
  std::size_t viewer_query_budget = 60;
  std::size_t query_shape_budget = 600;
};

// `kagami serve`: the REST API under /api/ and the web console, over HTTPS, for logged-in
// users only (401 for anything but login and the console's static files), every search, view,
// export and download written to the store's audit log first.
class ApiServer {
 public:
  // Opens the store, binds, and serves on threads of its own until stop() or destruction.
  static Result<std::unique_ptr<ApiServer>> start(const ServeOptions& options);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  std::uint16_t port() const;
  std::string url() const;             // "https://127.0.0.1:8443"
  const std::string& ca_path() const;  // what a browser imports to trust the console ("": none)
  void stop();
  void wait();  // until stopped

  struct Impl;

 private:
  explicit ApiServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kagami::console
