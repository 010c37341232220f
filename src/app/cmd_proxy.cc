// kagami proxy: the insight proxy, wired from its options.
#include <csignal>
#include <iostream>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "kagami/mirror/mirror.h"
#include "kagami/proxy/cert_minter.h"
#include "kagami/proxy/certificate_authority.h"
#include "kagami/proxy/proxy_server.h"

#include "app/commands.h"

namespace kagami::app {
namespace {

struct ProxyCliOptions {
  proxy::ProxyOptions proxy;
  std::string ca_dir, ca_cert, ca_key;
  std::vector<std::string> mirrors;
  std::size_t cache_entries = 4096;
  bool quiet = false;
};

Result<std::unique_ptr<proxy::CertMinter>> make_minter(const ProxyCliOptions& o) {
  const std::string cert = !o.ca_cert.empty() ? o.ca_cert : proxy::CaFiles::cert(o.ca_dir);
  const std::string key = !o.ca_key.empty() ? o.ca_key : proxy::CaFiles::key(o.ca_dir);
  auto ca = proxy::CertificateAuthority::load(cert, key);
  if (!ca) return ca.error();
  // The untrusted CA of `kagami ca init`, or a fresh one for a CA brought from elsewhere.
  std::unique_ptr<proxy::CertificateAuthority> untrusted;
  if (!o.ca_dir.empty()) {
    auto u = proxy::CertificateAuthority::load(proxy::CaFiles::untrusted_cert(o.ca_dir),
                                               proxy::CaFiles::untrusted_key(o.ca_dir));
    if (u) untrusted = std::move(u.value());
  }
  if (!untrusted) {
    proxy::CaOptions uo;
    uo.name = "Kagami untrusted CA (upstream failed verification)";
    auto u = proxy::CertificateAuthority::generate(uo);
    if (!u) return u.error();
    untrusted = std::move(u.value());
  }
  auto leaf_key = proxy::generate_key(false, 2048);
  if (!leaf_key) return leaf_key.error();
  return std::make_unique<proxy::CertMinter>(std::move(ca.value()), std::move(untrusted),
                                             std::move(leaf_key.value()), o.cache_entries);
}

int run_proxy(ProxyCliOptions& o) {
  if (o.ca_dir.empty() && (o.ca_cert.empty() || o.ca_key.empty())) {
    std::cerr << "error: give --ca DIR (made by kagami ca init) or --ca-cert and --ca-key\n";
    return 2;
  }
  if (o.proxy.on_invalid_upstream != "reject" && o.proxy.on_invalid_upstream != "untrusted") {
    std::cerr << "error: --on-invalid-upstream is reject or untrusted\n";
    return 2;
  }
  if (o.quiet) spdlog::set_level(spdlog::level::warn);
  auto minter = make_minter(o);
  if (!minter) {
    std::cerr << "error: " << minter.error().message << "\n";
    return 1;
  }
  mirror::MirrorOptions mo;
  for (const std::string& m : o.mirrors) {
    if (m.rfind("pcap:", 0) == 0) {
      mo.pcap_dir = m.substr(5);
    } else {
      std::cerr << "error: unknown mirror \"" << m << "\" (pcap:DIR)\n";
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
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  int threads =
      o.proxy.threads > 0 ? o.proxy.threads : static_cast<int>(std::thread::hardware_concurrency());
  if (threads <= 0) threads = 1;
  o.proxy.threads = threads;
  std::unique_ptr<mirror::Mirror> mirror;
  if (!o.mirrors.empty()) {
    auto m = mirror::Mirror::start(mo, threads);
    if (!m) {
      std::cerr << "error: " << m.error().message << "\n";
      return 1;
    }
    mirror = std::move(m.value());
  }
  auto server = proxy::ProxyServer::start(o.proxy, **minter, mirror.get());
  if (!server) {
    std::cerr << "error: " << server.error().message << "\n";
    return 1;
  }
  std::cerr << "kagami proxy: listening on port " << (*server)->port() << " with "
            << (*server)->threads()
            << " thread(s) (SIGINT/SIGTERM to stop, SIGUSR1 for counters)\n";
  auto print_counters = [&] {
    const auto& c = (*server)->counters();
    std::cerr << "proxy: accepted " << c.accepted << ", active " << c.active << ", decrypted "
              << c.decrypted << ", relayed plain " << c.relayed_plain << ", bad requests "
              << c.bad_request << ", upstream connect failed " << c.upstream_connect_failed
              << ", upstream handshake failed " << c.upstream_handshake_failed
              << ", upstream invalid " << c.upstream_invalid << ", client handshake failed "
              << c.client_handshake_failed << ", timed out " << c.timed_out << ", bytes c2s "
              << c.bytes_c2s << ", s2c " << c.bytes_s2c << "; certificates minted "
              << (*minter)->counters().minted << ", cache hits " << (*minter)->counters().hits
              << "\n";
    if (mirror) {
      const auto& m = mirror->counters();
      std::cerr << "mirror: packets " << m.packets << ", dropped " << m.dropped_packets
                << ", files " << m.files << ", write errors " << m.write_errors << "\n";
    }
  };
  while (true) {
    int sig = 0;
    sigwait(&signals, &sig);
    if (sig == SIGUSR1) {
      print_counters();
      continue;
    }
    break;
  }
  (*server)->stop();
  if (mirror) mirror->stop();
  print_counters();
  return 0;
}

}  // namespace

void add_proxy_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<ProxyCliOptions>();
  auto* cmd = app.add_subcommand(
      "proxy", "decrypt TLS for inspection, re-encrypt to the real server, mirror the plaintext");
  cmd->add_option("--listen", o->proxy.listen, "explicit proxy address, ADDR:PORT")->required();
  cmd->add_option("--ca", o->ca_dir, "CA directory made by kagami ca init");
  cmd->add_option("--ca-cert", o->ca_cert, "an existing CA certificate (PEM)");
  cmd->add_option("--ca-key", o->ca_key, "its private key (PEM)");
  cmd->add_option("--upstream-ca", o->proxy.upstream.ca_bundle,
                  "trusted roots for upstream servers (PEM); default: the system store");
  cmd->add_option("--on-invalid-upstream", o->proxy.on_invalid_upstream,
                  "reject, or untrusted (the client sees a certificate it will warn about)")
      ->capture_default_str();
  cmd->add_option("--mirror", o->mirrors, "where plaintext copies go: pcap:DIR");
  cmd->add_option("--keylog", o->proxy.keylog_file, "write an NSS key log of both legs");
  cmd->add_option("--threads", o->proxy.threads, "event loops (default: one per core)");
  cmd->add_option("--segment-bytes", o->proxy.segment_bytes, "mirror TCP segment payload")
      ->capture_default_str();
  cmd->add_option("--cert-cache", o->cache_entries, "minted certificates kept")
      ->capture_default_str();
  cmd->add_flag("-q,--quiet", o->quiet, "log warnings and errors only");
  cmd->callback([o, &exit_code] { exit_code = run_proxy(*o); });
}

}  // namespace kagami::app
