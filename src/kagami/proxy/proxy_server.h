#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "kagami/base/result.h"
#include "kagami/proxy/auto_bypass.h"
#include "kagami/proxy/destination_guard.h"
#include "kagami/proxy/policy.h"
#include "kagami/proxy/proxy_auth.h"
#include "kagami/proxy/tls_contexts.h"

namespace kagami::mirror {
class Mirror;
}
namespace kagami::records {
class ProxiedConnections;
}

namespace kagami::proxy {

class CertMinter;
class Resolver;

struct ProxyOptions {
  std::string listen;       // explicit proxy, "ADDR:PORT"; may be empty
  std::string transparent;  // connections redirected by the kernel (REDIRECT, TPROXY)
  int threads = 0;          // event loops; 0: one per core
  UpstreamTlsOptions upstream;
  // An upstream that fails verification: refuse the connection ("reject"), or show the client
  // a certificate from the untrusted CA so that its own warning appears ("untrusted").
  std::string on_invalid_upstream = "reject";
  std::string keylog_file;           // NSS key log of both legs; empty: none
  std::size_t segment_bytes = 1460;  // mirror TCP segment payload
  // Remove HTTP/3 advertisements (Alt-Svc) from decrypted responses so browsers stay on TCP
  // ([quic] alt_svc = "strip" | "keep").
  bool strip_alt_svc = true;
  std::size_t max_head_bytes = 64u << 10;
  std::size_t high_water_bytes = 1u << 20;  // per direction, before reading pauses
  std::int64_t handshake_timeout_ms = 15000;
  std::int64_t idle_timeout_ms = 300000;
  std::size_t max_connections = 50000;  // per loop
  // Destinations that failed on the client side are relayed undecrypted for this long (0: never).
  std::int64_t auto_bypass_ms = 3600 * 1000;
  // Proxy authentication (Basic): when `users` is not empty, every request must carry one of
  // them; the user name becomes the "who" of the records. `users_file` is where they came from
  // (old unsalted entries are rewritten there).
  ProxyUsers users;
  std::string users_file;
  // Names answered before DNS (lower-case name -> numeric address), as a hosts file would:
  // lab networks, split horizons, the demo's servers.
  std::unordered_map<std::string, std::string> hosts;
  // Destinations opened deliberately (CIDR): loopback, link-local, this host's own addresses
  // and the like are refused otherwise (destination_guard.h).
  std::vector<std::string> allow_destinations;
  // Listeners of this process besides the proxy's own ("ADDR:PORT": the mirror's
  // pcap-over-IP port, a console): never a destination, whatever is allowed.
  std::vector<std::string> own_endpoints;
};

struct ProxyCounters {
  std::atomic<std::uint64_t> accepted{0}, active{0}, refused_over_limit{0};
  std::atomic<std::uint64_t> decrypted{0}, relayed_plain{0}, bad_request{0};
  std::atomic<std::uint64_t> upstream_connect_failed{0}, upstream_handshake_failed{0};
  std::atomic<std::uint64_t> upstream_invalid{0}, client_handshake_failed{0}, timed_out{0};
  std::atomic<std::uint64_t> bytes_c2s{0}, bytes_s2c{0};
  std::atomic<std::uint64_t> bypassed{0}, blocked{0}, auto_bypassed{0}, auth_refused{0};
  std::atomic<std::uint64_t> not_redirected{0};       // transparent: no original destination
  std::atomic<std::uint64_t> destination_refused{0};  // the destination guard said no
  std::atomic<std::uint64_t> alt_svc_stripped{0};     // HTTP/3 advertisements removed
  std::atomic<std::uint64_t> response_refused{0};     // a server broke HTTP/2 or its bounds
  std::atomic<std::uint64_t> bridged_h2_h1{0};        // h2 with the client, HTTP/1.1 upstream
  std::atomic<std::uint64_t> starttls{0};             // upgraded by STARTTLS, STLS or AUTH TLS
  std::atomic<std::uint64_t> starttls_violations{0};  // plaintext where the upgrade's TLS was due
  std::atomic<std::uint64_t> logins_consumed{0};      // Proxy-Authorization kept from an origin
  std::atomic<std::uint64_t> pipelined_dropped{0};    // requests after a plain request's first
};

// The insight proxy: event loops (one per thread, each with its own SO_REUSEPORT listener)
// that accept clients, read their CONNECT or absolute-form request, intercept TLS with
// minted certificates after verifying the upstream, relay everything else unchanged, and
// copy every relayed byte to the mirror.
class ProxyServer {
 public:
  // `notes` (may be null) receives what the proxy knows about each mirrored connection, for
  // a recorder in the same process.
  static Result<std::unique_ptr<ProxyServer>> start(const ProxyOptions& options, CertMinter& minter,
                                                    std::shared_ptr<const Policy> policy,
                                                    mirror::Mirror* mirror,
                                                    records::ProxiedConnections* notes = nullptr);
  // A new policy for connections from now on (SIGHUP); connections already decided keep theirs.
  void set_policy(std::shared_ptr<const Policy> policy) { policy_.store(std::move(policy)); }
  // New proxy users for requests from now on (SIGHUP); empty turns authentication off.
  void set_users(ProxyUsers users) { auth_->set_users(std::move(users)); }
  const ProxyAuthCounters& auth_counters() const { return auth_->counters(); }
  ~ProxyServer();
  ProxyServer(const ProxyServer&) = delete;
  ProxyServer& operator=(const ProxyServer&) = delete;

  // Stops accepting, closes every connection, joins the threads.
  void stop();
  const ProxyCounters& counters() const { return counters_; }
  // The destinations relayed without decryption right now, and for whom (kagami status).
  std::vector<AutoBypass::Listed> auto_bypassed() const;
  std::uint16_t port() const { return port_; }  // the bound port (useful with port 0)
  std::uint16_t transparent_port() const { return transparent_port_; }
  // Another listener of this process, started after the proxy ("ADDR:PORT").
  Status add_own_endpoint(const std::string& addr_port) { return guard_->add_own(addr_port); }
  // Destinations opened from now on (SIGHUP); the proxy's own listeners stay closed.
  Status set_allowed_destinations(const std::vector<std::string>& cidrs) {
    return guard_->set_allowed(cidrs);
  }
  int threads() const { return static_cast<int>(loops_.size()); }

  class Loop;

 private:
  ProxyServer() = default;
  ProxyOptions options_;
  std::unique_ptr<KeyLog> keylog_;
  SslCtxPtr upstream_ctx_, client_ctx_;
  std::unique_ptr<Resolver> resolver_;
  std::atomic<std::shared_ptr<const Policy>> policy_;
  std::unique_ptr<ProxyAuth> auth_;
  std::unique_ptr<AutoBypass> auto_bypass_;
  std::unique_ptr<DestinationGuard> guard_;
  std::vector<std::unique_ptr<Loop>> loops_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  std::uint16_t port_ = 0, transparent_port_ = 0;
  ProxyCounters counters_;
};

}  // namespace kagami::proxy
