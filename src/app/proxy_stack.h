#pragma once

#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "kagami/base/result.h"
#include "kagami/mirror/connection_notes.h"
#include "kagami/mirror/in_process_source.h"
#include "kagami/mirror/mirror.h"
#include "kagami/proxy/cert_minter.h"
#include "kagami/proxy/policy.h"
#include "kagami/proxy/proxy_server.h"
#include "kagami/recorder/recorder.h"

namespace kagami::app {

// The organisation's CA (a directory of `kagami ca init`, or a certificate and key brought
// from elsewhere) as a minter of per-host certificates.
Result<std::unique_ptr<proxy::CertMinter>> make_minter(const std::string& ca_dir,
                                                       const std::string& ca_cert,
                                                       const std::string& ca_key,
                                                       std::size_t cache_entries);

struct ProxyStackConfig {
  proxy::ProxyOptions proxy;
  std::shared_ptr<const proxy::Policy> policy;
  std::unique_ptr<proxy::CertMinter> minter;
  mirror::MirrorOptions mirror;                    // rotating pcap files, pcap-over-IP
  std::optional<recorder::RecorderConfig> record;  // a recorder in this process
};

// The proxy with what hangs off it: the mirror, and the recorder reading the mirror in this
// process with the proxy's notes (`kagami proxy --record`, `kagami up`). Threads started here
// inherit the caller's signal mask: block signals first.
class ProxyStack {
 public:
  static Result<std::unique_ptr<ProxyStack>> start(ProxyStackConfig config);
  ~ProxyStack();
  ProxyStack(const ProxyStack&) = delete;
  ProxyStack& operator=(const ProxyStack&) = delete;

  proxy::ProxyServer& server() { return *server_; }
  const proxy::CertMinter& minter() const { return *config_.minter; }
  mirror::Mirror* mirror() { return mirror_.get(); }
  const proxy::ProxyOptions& options() const { return config_.proxy; }

  // Stops the proxy and the mirror, lets the recorder read everything handed over, finishes
  // it. The first error, if any; the recorder's summary goes to stderr.
  Status stop();
  void print_counters() const;
  // The proxy's counters, what it bypasses automatically and for whom, the mirror's counters:
  // what `kagami status` shows.
  nlohmann::json status() const;

 private:
  ProxyStack() = default;
  ProxyStackConfig config_;
  std::unique_ptr<recorder::Recorder> recorder_;
  std::unique_ptr<mirror::InProcessSource> source_;
  std::unique_ptr<mirror::ConnectionNotes> notes_;
  std::unique_ptr<mirror::Mirror> mirror_;
  std::unique_ptr<proxy::ProxyServer> server_;
  std::thread recording_;
  Status recorded_;
  bool stopped_ = false;
};

}  // namespace kagami::app
