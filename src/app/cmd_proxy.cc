// kagami proxy: the insight proxy, wired from its options.
#include <csignal>
#include <functional>
#include <iostream>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "kagami/base/private_files.h"
#include "kagami/console/metrics_server.h"
#include "kagami/mirror/connection_notes.h"
#include "kagami/mirror/in_process_source.h"
#include "kagami/mirror/mirror.h"
#include "kagami/proxy/cert_minter.h"
#include "kagami/proxy/certificate_authority.h"
#include "kagami/proxy/proxy_server.h"
#include "kagami/recorder/recorder.h"

#include "app/commands.h"
#include "app/config.h"
#include "app/privileges.h"
#include "app/proxy_config.h"
#include "app/proxy_stack.h"
#include "app/status_file.h"

namespace kagami::app {
namespace {

struct ProxyCliOptions {
  proxy::ProxyOptions proxy;
  std::string ca_dir, ca_cert, ca_key;
  std::vector<std::string> mirrors;
  std::vector<std::string> mirror_receivers;  // who may connect to pcap-over-ip
  std::string mirror_tls_cert, mirror_tls_key, mirror_client_ca;
  std::size_t cache_entries = 4096;
  std::string record_store, sensor = "proxy", record_config;
  RetentionFlags retention;
  std::string config;                               // proxy settings and policy (TOML)
  std::vector<std::string> cli_allow_destinations;  // as given, for SIGHUP
  std::string status_file;
  std::string metrics;  // ADDR:PORT for Prometheus
  std::string user;     // run as, once every listener is open
  bool quiet = false;
};

// The status's numbers as counters: {"proxy": {"accepted": 3}} is "proxy.accepted 3".
void flatten(const nlohmann::json& j, const std::string& prefix,
             std::vector<std::pair<std::string, std::uint64_t>>& out) {
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) flatten(v, prefix.empty() ? k : prefix + "." + k, out);
  } else if (j.is_number_unsigned() || (j.is_number_integer() && j.get<std::int64_t>() >= 0)) {
    out.emplace_back(prefix, j.get<std::uint64_t>());
  }
}

using Given = std::function<bool(const char*)>;

// The file's settings, then every option given on the command line over them.
Status merge_options(const ProxyCliOptions& o, const Given& given, ProxyFileConfig& file) {
  if (!o.config.empty()) {
    if (auto s = load_proxy_config(o.config, file); !s) return s;
  }
  proxy::ProxyOptions& p = file.options;
  if (given("--listen")) p.listen = o.proxy.listen;
  if (given("--transparent")) p.transparent = o.proxy.transparent;
  if (given("--upstream-ca")) p.upstream.ca_bundle = o.proxy.upstream.ca_bundle;
  if (given("--on-invalid-upstream")) p.on_invalid_upstream = o.proxy.on_invalid_upstream;
  if (given("--keylog")) p.keylog_file = o.proxy.keylog_file;
  if (given("--threads")) p.threads = o.proxy.threads;
  if (given("--segment-bytes")) p.segment_bytes = o.proxy.segment_bytes;
  // Ranges given on the command line add to the file's.
  p.allow_destinations.insert(p.allow_destinations.end(), o.proxy.allow_destinations.begin(),
                              o.proxy.allow_destinations.end());
  if (p.listen.empty() && p.transparent.empty())
    return make_error(
        "give --listen ADDR:PORT or --transparent ADDR:PORT (or set them in --config)");
  if (!file.users_file.empty()) {
    auto users = proxy::load_proxy_users(file.users_file);
    if (!users) return users.error();
    p.users = std::move(users.value());
    p.users_file = file.users_file;
  }
  return {};
}

int run_proxy(ProxyCliOptions& o, const Given& given) {
  ProxyFileConfig file;
  if (auto s = merge_options(o, given, file); !s) {
    std::cerr << "error: " << s.error().message << "\n";
    return 2;
  }
  o.cli_allow_destinations = o.proxy.allow_destinations;
  o.proxy = file.options;
  auto policy = proxy::Policy::build(file.policy);
  if (!policy) {
    std::cerr << "error: policy: " << policy.error().message << "\n";
    return 2;
  }
  if (o.ca_dir.empty() && (o.ca_cert.empty() || o.ca_key.empty())) {
    std::cerr << "error: give --ca DIR (made by kagami ca init) or --ca-cert and --ca-key\n";
    return 2;
  }
  if (o.proxy.on_invalid_upstream != "reject" && o.proxy.on_invalid_upstream != "untrusted") {
    std::cerr << "error: --on-invalid-upstream is reject or untrusted\n";
    return 2;
  }
  if (o.quiet) spdlog::set_level(spdlog::level::warn);
  // The CA's key, the mirror's decrypted traffic, the store and the users' hashes.
  for (const auto& [path, what] : {std::pair<std::string, const char*>{o.ca_dir, "CA"},
                                   {o.ca_key, "CA key"},
                                   {o.record_store, "store"},
                                   {file.users_file, "users file"}})
    if (!path.empty()) warn_if_not_private(path, what);
  for (const std::string& m : o.mirrors)
    if (m.rfind("pcap:", 0) == 0) warn_if_not_private(m.substr(5), "mirror");
  auto minter = make_minter(o.ca_dir, o.ca_cert, o.ca_key, o.cache_entries);
  if (!minter) {
    std::cerr << "error: " << minter.error().message << "\n";
    return 1;
  }
  mirror::MirrorOptions mo;
  mo.pcap_over_ip.receivers = o.mirror_receivers;
  mo.pcap_over_ip.tls_cert = o.mirror_tls_cert;
  mo.pcap_over_ip.tls_key = o.mirror_tls_key;
  mo.pcap_over_ip.client_ca = o.mirror_client_ca;
  for (const std::string& m : o.mirrors) {
    if (m.rfind("pcap:", 0) == 0) {
      mo.pcap_dir = m.substr(5);
    } else if (m.rfind("pcap-over-ip:", 0) == 0) {
      mo.pcap_over_ip.listen = m.substr(13);
    } else {
      std::cerr << "error: unknown mirror \"" << m << "\" (pcap:DIR or pcap-over-ip:ADDR:PORT)\n";
      return 2;
    }
  }
  // Signals are taken by this thread alone (sigwait): every thread started below inherits the
  // blocked mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGUSR1);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  ProxyStackConfig config;
  config.proxy = o.proxy;
  config.policy = policy.value();
  config.minter = std::move(minter.value());
  config.mirror = mo;
  if (!o.record_store.empty()) {
    recorder::RecorderConfig cfg;
    if (!o.record_config.empty()) {
      if (auto s = load_recorder_config(o.record_config, cfg); !s) {
        std::cerr << "error: " << s.error().message << "\n";
        return 2;
      }
    }
    if (auto s = apply_retention_flags(o.retention, cfg.retention); !s) {
      std::cerr << "error: " << s.error().message << "\n";
      return 2;
    }
    cfg.store_dir = o.record_store;
    cfg.sensor = o.sensor;
    config.record = std::move(cfg);
  }
  auto stack = ProxyStack::start(std::move(config));
  if (!stack) {
    std::cerr << "error: " << stack.error().message << "\n";
    return 1;
  }
  proxy::ProxyServer* server = &(*stack)->server();
  mirror::Mirror* mirror = (*stack)->mirror();
  if (mirror && mirror->pcap_over_ip_port() != 0)
    std::cerr << "kagami proxy: pcap-over-IP mirror on port " << mirror->pcap_over_ip_port()
              << "\n";
  std::cerr << "kagami proxy: listening on port " << server->port();
  if (!o.proxy.transparent.empty())
    std::cerr << ", transparent on port " << server->transparent_port();
  std::cerr << " with " << server->threads()
            << " thread(s) (SIGINT/SIGTERM to stop, SIGUSR1 for counters, SIGHUP reloads the "
               "policy and users)\n";
  auto print_counters = [&] { (*stack)->print_counters(); };
  std::unique_ptr<console::MetricsServer> metrics;
  if (!o.metrics.empty()) {
    ProxyStack* st = stack->get();
    auto m = console::MetricsServer::start(o.metrics, [st] {
      std::vector<std::pair<std::string, std::uint64_t>> out;
      flatten(st->status(), "", out);
      return out;
    });
    if (!m) {
      std::cerr << "error: " << m.error().message << "\n";
      return 1;
    }
    metrics = std::move(m.value());
    std::cerr << "kagami proxy: metrics on port " << metrics->port() << " (/metrics)\n";
  }
  // Every listener is open (ports below 1024 included) and the CA's key is in memory: root is
  // no longer needed. The store and the mirror's folder are written from now on.
  {
    std::vector<std::string> writable;
    if (!o.record_store.empty()) writable.push_back(o.record_store);
    for (const std::string& m : o.mirrors)
      if (m.rfind("pcap:", 0) == 0) writable.push_back(m.substr(5));
    auto u = drop_privileges(o.user, writable);
    if (!u) {
      std::cerr << "error: " << u.error().message << "\n";
      (void)(*stack)->stop();
      return 1;
    }
    if (!u->empty())
      std::cerr << "kagami proxy: running as " << *u
                << " (root dropped once the listeners were open)\n";
  }
  // What the proxy says of itself for `kagami status`: the file given, else in the store.
  const std::string status_file = !o.status_file.empty()    ? o.status_file
                                  : !o.record_store.empty() ? status_path(o.record_store, "proxy")
                                                            : std::string();
  auto write_state = [&] {
    if (status_file.empty()) return;
    if (auto st = write_status(status_file, (*stack)->status()); !st)
      spdlog::warn("{}", st.error().message);
  };
  write_state();
  while (true) {
    const timespec every{1, 0};
    const int sig = sigtimedwait(&signals, nullptr, &every);
    if (sig < 0) {
      write_state();
      continue;
    }
    if (sig == SIGUSR1) {
      print_counters();
      continue;
    }
    if (sig == SIGHUP) {
      // A new policy for new connections; those already decided keep theirs, none is dropped.
      ProxyFileConfig again;
      if (o.config.empty()) {
        spdlog::warn("proxy: SIGHUP: no --config to read again");
        continue;
      }
      auto reloaded = load_proxy_config(o.config, again);
      auto rebuilt = reloaded ? proxy::Policy::build(again.policy)
                              : Result<std::shared_ptr<const proxy::Policy>>(reloaded.error());
      if (!rebuilt) {
        spdlog::error("proxy: SIGHUP: the policy is unchanged: {}", rebuilt.error().message);
        continue;
      }
      // The users file is read before anything is swapped: a bad file changes nothing.
      proxy::ProxyUsers users;
      if (!again.users_file.empty()) {
        auto loaded = proxy::load_proxy_users(again.users_file);
        if (!loaded) {
          spdlog::error("proxy: SIGHUP: the policy and users are unchanged: {}",
                        loaded.error().message);
          continue;
        }
        users = std::move(loaded.value());
      }
      const std::size_t user_count = users.size();
      std::vector<std::string> allowed = again.options.allow_destinations;
      allowed.insert(allowed.end(), o.cli_allow_destinations.begin(),
                     o.cli_allow_destinations.end());
      if (auto st = server->set_allowed_destinations(allowed); !st) {
        spdlog::error("proxy: SIGHUP: the policy and users are unchanged: {}", st.error().message);
        continue;
      }
      server->set_policy(rebuilt.value());
      server->set_users(std::move(users));
      spdlog::warn("proxy: SIGHUP: policy reloaded from {} ({} rules, {} proxy users)", o.config,
                   rebuilt.value()->rules(), user_count);
      continue;
    }
    break;
  }
  write_state();
  int exit_code = 0;
  if (auto st = (*stack)->stop(); !st) {
    std::cerr << "error: " << st.error().message << "\n";
    exit_code = 1;
  }
  print_counters();
  return exit_code;
}

}  // namespace

void add_proxy_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<ProxyCliOptions>();
  auto* cmd = app.add_subcommand(
      "proxy", "decrypt TLS for inspection, re-encrypt to the real server, mirror the plaintext");
  cmd->add_option("--listen", o->proxy.listen, "explicit proxy address, ADDR:PORT");
  cmd->add_option("--transparent", o->proxy.transparent,
                  "address for connections redirected by iptables/nftables REDIRECT or TPROXY");
  cmd->add_option("--config", o->config,
                  "proxy settings and decrypt/bypass/block policy (TOML); SIGHUP reloads the "
                  "policy and the users file");
  cmd->add_option("--ca", o->ca_dir, "CA directory made by kagami ca init");
  cmd->add_option("--ca-cert", o->ca_cert, "an existing CA certificate (PEM)");
  cmd->add_option("--ca-key", o->ca_key, "its private key (PEM)");
  cmd->add_option("--upstream-ca", o->proxy.upstream.ca_bundle,
                  "trusted roots for upstream servers (PEM); default: the system store");
  cmd->add_option("--on-invalid-upstream", o->proxy.on_invalid_upstream,
                  "reject, or untrusted (the client sees a certificate it will warn about)")
      ->capture_default_str();
  cmd->add_option("--mirror", o->mirrors,
                  "where plaintext copies go: pcap:DIR (rotating files), pcap-over-ip:ADDR:PORT");
  cmd->add_option("--allow-destination", o->proxy.allow_destinations,
                  "a CIDR range the proxy may connect to although it is loopback, link-local, "
                  "this host's or otherwise special (repeatable; the proxy's own listeners are "
                  "never a destination)");
  cmd->add_option("--mirror-receiver", o->mirror_receivers,
                  "an address or CIDR range allowed to read the pcap-over-ip mirror (repeatable; "
                  "nobody else is let in)");
  cmd->add_option("--mirror-tls-cert", o->mirror_tls_cert,
                  "serve the pcap-over-ip mirror over TLS with this certificate (PEM chain)");
  cmd->add_option("--mirror-tls-key", o->mirror_tls_key, "its private key (PEM)");
  cmd->add_option("--mirror-client-ca", o->mirror_client_ca,
                  "receivers of the pcap-over-ip mirror must show a certificate this CA signed");
  cmd->add_option("--keylog", o->proxy.keylog_file, "write an NSS key log of both legs");
  cmd->add_option("--threads", o->proxy.threads, "event loops (default: one per core)");
  cmd->add_option("--segment-bytes", o->proxy.segment_bytes, "mirror TCP segment payload")
      ->capture_default_str();
  cmd->add_option("--cert-cache", o->cache_entries, "minted certificates kept")
      ->capture_default_str();
  cmd->add_option("--record", o->record_store,
                  "record the mirror into this store, in this process (decrypted sessions "
                  "flagged, with the proxy's TLS metadata)");
  cmd->add_option("--sensor", o->sensor, "sensor name of the recorded sessions")
      ->capture_default_str();
  cmd->add_option("--record-config", o->record_config,
                  "recorder configuration (TOML) for --record");
  add_retention_options(cmd, o->retention);
  cmd->add_option("--metrics", o->metrics,
                  "serve the counters to Prometheus at http://ADDR:PORT/metrics (no login: "
                  "counts only; bind it to a management address)");
  cmd->add_option("--status", o->status_file,
                  "keep the proxy's state (counters, automatic bypasses) in this JSON file for "
                  "kagami status (default with --record: STORE/status/proxy.json)");
  cmd->add_option("--user", o->user,
                  "run as this user once the listeners are open (default as root: kagami, when "
                  "that user exists; \"root\": stay root); the store and mirror folder are "
                  "handed to it, and --config must be readable by it for SIGHUP");
  cmd->add_flag("-q,--quiet", o->quiet, "log warnings and errors only");
  cmd->callback([o, cmd, &exit_code] {
    exit_code = run_proxy(*o, [cmd](const char* name) { return cmd->count(name) > 0; });
  });
}

}  // namespace kagami::app
