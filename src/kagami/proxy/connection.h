#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "kagami/base/time.h"
#include "kagami/mirror/mirror.h"
#include "kagami/mirror/tcp_synthesizer.h"
#include "kagami/proxy/cert_minter.h"
#include "kagami/proxy/destination_guard.h"
#include "kagami/proxy/event_loop.h"
#include "kagami/proxy/http2_to_http1.h"
#include "kagami/proxy/http_filter.h"
#include "kagami/proxy/proxy_server.h"
#include "kagami/proxy/resolver.h"
#include "kagami/records/proxied_connection.h"

namespace kagami::wire {
class StartTlsWatch;
}

namespace kagami::proxy {

// What one event loop gives its connections; owned by the loop, used by its thread only
// (the minter, resolver and counters are thread-safe).
struct LoopContext {
  EventLoop* loop = nullptr;
  const ProxyOptions* options = nullptr;
  SSL_CTX* upstream_ctx = nullptr;
  SSL_CTX* client_ctx = nullptr;
  CertMinter* minter = nullptr;
  mirror::Mirror::Producer* mirror = nullptr;    // null: no mirror
  records::ProxiedConnections* notes = nullptr;  // for an in-process recorder; may be null
  const std::atomic<std::shared_ptr<const Policy>>* policy = nullptr;
  ProxyAuth* auth = nullptr;
  AutoBypass* auto_bypass = nullptr;
  const DestinationGuard* guard = nullptr;
  std::uint16_t transparent_port = 0;  // our own transparent listener's port
  Resolver* resolver = nullptr;
  ProxyCounters* counters = nullptr;
  // Hands a resolver answer to this loop's thread (called on a resolver thread).
  std::function<void(std::uint64_t id, ResolvedAddress)> post_resolved;
  // Hands a login's verdict to this loop's thread (called on the checking thread).
  std::function<void(std::uint64_t id, bool ok)> post_authenticated;
  std::mt19937 rng{std::random_device{}()};
};

// One client connection through the proxy, from its request to the end of the relay.
class Connection {
 public:
  // `transparent`: redirected by the kernel; the original destination is asked of the socket.
  Connection(LoopContext& cx, std::uint64_t id, int client_fd, bool transparent);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void start();
  void on_event(bool upstream, std::uint32_t events);
  void on_resolved(ResolvedAddress address);
  void on_authenticated(bool ok);
  // Ends connections past their phase's deadline.
  void check_timeout(std::int64_t now_ms);
  bool done() const { return phase_ == Phase::kDone; }

  static std::uint64_t tag(std::uint64_t id, bool upstream) {
    return (id << 1) | (upstream ? 1 : 0);
  }

 private:
  enum class Phase {
    kRequest,            // reading the proxy request
    kAuthenticating,     // its login being checked (proxy_auth.h)
    kResolving,          // waiting for the resolver
    kConnecting,         // TCP connect to the upstream in progress
    kClassify,           // reading the client's first bytes: TLS or not?
    kPrelude,            // plaintext before a STARTTLS upgrade, relayed in lockstep
    kUpstreamHandshake,  // TLS with the server
    kClientHandshake,    // TLS with the client, with the minted certificate
    kRelay,              // bytes flow both ways
    kDone,
  };
  struct Leg {
    int fd = -1;
    SslPtr ssl;
    BIO* rbio = nullptr;  // owned by ssl
    BIO* wbio = nullptr;
    std::vector<std::uint8_t> in;   // raw bytes read and not yet used
    std::vector<std::uint8_t> out;  // raw bytes to send
    std::size_t out_off = 0;
    bool eof = false;          // the peer finished sending
    bool close_after = false;  // shut down writing once `out` is sent
    bool write_shut = false;
    std::uint32_t interest = 0;
    bool registered = false;
    std::size_t pending() const { return out.size() - out_off; }
  };

  void read_leg(bool upstream);
  void write_leg(bool upstream);
  void advance();
  void update_interest();
  void on_request();
  void after_login();  // the request's login is good (or none is needed): judge, resolve
  void connect_upstream(const ResolvedAddress& a);
  void on_connected();
  void on_classify();
  void start_plain_relay(std::string_view why);
  // A server that greets as SMTP, IMAP, POP3 or FTP: its plaintext relayed while watched for
  // an upgrade to TLS (wire/starttls.h), which the proxy then takes part in as in HTTPS.
  void start_prelude(bool ldap = false);
  void prelude();
  void begin_upgrade();
  void start_upstream_tls();
  void drive_upstream_handshake();
  void start_client_tls(const MintedCert& cert);
  void drive_client_handshake();
  void relay();
  bool pump_tls(bool from_upstream);  // true: stopped because the other side is full
  void relay_plain(bool from_upstream);
  void forward(bool from_upstream, ByteView plain);
  void deliver(bool from_upstream, ByteView plain);
  // Bytes that are on the client's leg go to the mirror (to_client: from the server's side).
  void mirror_copy(bool to_client, ByteView plain);
  void send_to(Leg& to, ByteView plain);
  void bridge_step(bool from_upstream, ByteView plain);
  void send_bridged();
  void settle_bridge();
  void close_leg(Leg& leg);
  // Bytes waiting to go toward that side: on its leg, and (toward the client) in the bridge.
  std::size_t backlog(bool toward_upstream) const;
  void flush_bio(Leg& leg);
  void end_direction(bool from_upstream);
  // `refused`: the destination was refused before any connection was made.
  // Once a connection is open, again only noted (the TLS a STARTTLS began).
  void open_mirror(bool refused = false);
  void note_connection(bool refused);
  void refuse_destination(const sockaddr_storage& addr, const std::string& why);
  void reply_and_close(std::string_view http_response);
  void bad_gateway();
  void start_transparent();
  Decision judge(const std::string& host, bool server_known);
  void refuse(const Decision& d);
  void refused_in_record(const std::string& why);
  void refuse_client_tls(std::uint8_t alert, const std::string& why);
  bool has_room(bool upstream) const;
  // The name the client asked for: its SNI, else the CONNECT or request host.
  const std::string& asked_name() const { return !sni_.empty() ? sni_ : host_; }
  void start_bypass(const std::string& why);
  std::string destination() const;
  IpAddress client_ip() const;
  void fail(std::string_view why, bool rst);
  void finish();
  std::string describe() const;

  LoopContext& cx_;
  std::uint64_t id_;
  Phase phase_ = Phase::kRequest;
  Leg c_, u_;
  std::int64_t deadline_ms_ = 0;
  // A bridged client's connection, everything said, waits this long for the client's end
  // before it is closed (0: not waiting yet).
  std::int64_t linger_until_ms_ = 0;
  // Where the client wants to go.
  std::string host_;
  std::uint16_t port_ = 0;
  bool connect_method_ = false;
  bool transparent_ = false;
  std::string origin_head_;  // absolute-form request rewritten for the origin
  std::string sni_;
  std::vector<std::uint8_t> client_hello_;  // its body, until the recorder is told
  std::string upstream_alpn_;               // what the server chose
  std::string client_alpn_;                 // what the client gets: the same, or h2 (bridged)
  bool client_h2_only_ = false;             // offered h2 and not HTTP/1.1
  std::string user_;
  std::string verdict_;                  // why the upstream is not trusted, or empty
  std::string failure_;                  // why the connection ended before its relay began
  std::string policy_;                   // "decrypt: default", "bypass: <reason>", ...
  std::shared_ptr<const Policy> rules_;  // the policy in force when the connection came
  sockaddr_storage client_addr_{}, server_addr_{};
  std::optional<mirror::TcpSynthesizer> mirror_;
  std::unique_ptr<HttpFilter> filter_;     // decrypted only; null: bytes pass unchanged
  std::vector<std::uint8_t> filtered_;     // what the filter gives the client, reused
  std::unique_ptr<Http2ToHttp1> bridge_;   // h2 client, HTTP/1.1 server; null: not bridged
  BridgeOutput bridged_;                   // what a bridge step gives the legs, reused
  bool bridge_ended_[2] = {false, false};  // [from_upstream]: that side's end was handled
  std::uint64_t bytes_c2s_ = 0, bytes_s2c_ = 0;
  std::unique_ptr<wire::StartTlsWatch> starttls_;  // a plaintext prelude watched; null: none
  bool upgraded_ = false;                          // TLS began after the server accepted it
};

}  // namespace kagami::proxy
