#include "app/proxy_stack.h"

#include <iostream>
#include <thread>

#include "kagami/mirror/connection_notes.h"
#include "kagami/mirror/in_process_source.h"
#include "kagami/proxy/certificate_authority.h"

namespace kagami::app {

Result<std::unique_ptr<proxy::CertMinter>> make_minter(const std::string& ca_dir,
                                                       const std::string& ca_cert,
                                                       const std::string& ca_key,
                                                       std::size_t cache_entries) {
  const std::string cert = !ca_cert.empty() ? ca_cert : proxy::CaFiles::cert(ca_dir);
  const std::string key = !ca_key.empty() ? ca_key : proxy::CaFiles::key(ca_dir);
  auto ca = proxy::CertificateAuthority::load(cert, key);
  if (!ca) return ca.error();
  // The untrusted CA of `kagami ca init`, or a fresh one for a CA brought from elsewhere.
  std::unique_ptr<proxy::CertificateAuthority> untrusted;
  if (!ca_dir.empty()) {
    auto u = proxy::CertificateAuthority::load(proxy::CaFiles::untrusted_cert(ca_dir),
                                               proxy::CaFiles::untrusted_key(ca_dir));
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
                                             std::move(leaf_key.value()), cache_entries);
}

Result<std::unique_ptr<ProxyStack>> ProxyStack::start(ProxyStackConfig config) {
  std::unique_ptr<ProxyStack> s(new ProxyStack());
  s->config_ = std::move(config);
  ProxyStackConfig& c = s->config_;
  int threads =
      c.proxy.threads > 0 ? c.proxy.threads : static_cast<int>(std::thread::hardware_concurrency());
  if (threads <= 0) threads = 1;
  c.proxy.threads = threads;
  // The recorder in this process reads the mirror as a packet source, with the proxy's notes.
  if (c.record) {
    c.record->live = true;
    auto opened = recorder::Recorder::open(*c.record);
    if (!opened) return opened.error();
    s->recorder_ = std::move(opened.value());
    s->notes_ = std::make_unique<mirror::ConnectionNotes>();
    s->recorder_->use_proxy_notes(s->notes_.get());
    s->source_ = std::make_unique<mirror::InProcessSource>();
  }
  const bool outputs = !c.mirror.pcap_dir.empty() || !c.mirror.pcap_over_ip.listen.empty();
  if (outputs || s->recorder_) {
    mirror::Mirror::Consumer consumer;
    if (s->source_) consumer = [src = s->source_.get()](mirror::FrameBatch& b) { src->offer(b); };
    auto m = mirror::Mirror::start(c.mirror, threads, consumer);
    if (!m) return m.error();
    s->mirror_ = std::move(m.value());
    // The mirror's stream carries every client's plaintext: never a destination.
    if (const std::uint16_t p = s->mirror_->pcap_over_ip_port(); p != 0)
      c.proxy.own_endpoints.push_back(
          c.mirror.pcap_over_ip.listen.substr(0, c.mirror.pcap_over_ip.listen.rfind(':')) + ":" +
          std::to_string(p));
  }
  if (s->recorder_) {
    ProxyStack* raw = s.get();
    s->recording_ = std::thread([raw] { raw->recorded_ = raw->recorder_->run(*raw->source_); });
  }
  auto server =
      proxy::ProxyServer::start(c.proxy, *c.minter, c.policy, s->mirror_.get(), s->notes_.get());
  if (!server) {
    (void)s->stop();
    return server.error();
  }
  s->server_ = std::move(server.value());
  return s;
}

ProxyStack::~ProxyStack() { (void)stop(); }

Status ProxyStack::stop() {
  if (stopped_) return {};
  stopped_ = true;
  if (server_) server_->stop();
  if (mirror_) mirror_->stop();
  Status first;
  if (recorder_) {
    source_->close();  // the recorder reads what the mirror handed over, then ends
    if (recording_.joinable()) recording_.join();
    if (!recorded_) first = make_error("recorder: {}", recorded_.error().message);
    if (auto f = recorder_->finish(); !f && first)
      first = make_error("recorder: {}", f.error().message);
    std::cerr << "recorder: " << recorder_->capture_counters().packets.get() << " packets into "
              << config_.record->store_dir << ", " << source_->dropped_packets()
              << " dropped (recorder behind), " << notes_->forgotten() << " notes forgotten\n";
  }
  return first;
}

nlohmann::json ProxyStack::status() const {
  nlohmann::json j;
  if (!server_) return j;
  const auto& c = server_->counters();
  j["proxy"] = {{"listen", config_.proxy.listen},
                {"transparent", config_.proxy.transparent},
                {"accepted", c.accepted.load()},
                {"active", c.active.load()},
                {"decrypted", c.decrypted.load()},
                {"relayed_plain", c.relayed_plain.load()},
                {"bypassed", c.bypassed.load()},
                {"auto_bypassed", c.auto_bypassed.load()},
                {"blocked", c.blocked.load()},
                {"destination_refused", c.destination_refused.load()},
                {"alt_svc_stripped", c.alt_svc_stripped.load()},
                {"response_refused", c.response_refused.load()},
                {"logins_consumed", c.logins_consumed.load()},
                {"pipelined_dropped", c.pipelined_dropped.load()},
                {"bridged_h2_h1", c.bridged_h2_h1.load()},
                {"starttls", c.starttls.load()},
                {"starttls_violations", c.starttls_violations.load()},
                {"auth_refused", c.auth_refused.load()},
                {"bad_request", c.bad_request.load()},
                {"upstream_invalid", c.upstream_invalid.load()},
                {"client_handshake_failed", c.client_handshake_failed.load()},
                {"bytes_c2s", c.bytes_c2s.load()},
                {"bytes_s2c", c.bytes_s2c.load()}};
  nlohmann::json bypass = nlohmann::json::array();
  for (const auto& b : server_->auto_bypassed())
    bypass.push_back({{"client", b.client.empty() ? "*" : b.client},
                      {"destination", b.destination},
                      {"why", b.why},
                      {"remaining_s", b.remaining_ms / 1000}});
  j["auto_bypass"] = std::move(bypass);
  // The recorder in this process: its counters as its capture thread last took them, and the
  // retention it applies (kagami status and the console's sensor page show both).
  if (recorder_) {
    nlohmann::json counters = nlohmann::json::object();
    for (const auto& [name, value] : recorder_->counters_snapshot()) counters[name] = value;
    j["recorder"] = std::move(counters);
    j["retention"] = config_.record->retention.describe();
    j["source"] = "the proxy's mirror (in process)";
    j["state"] = "recording";
  }
  const auto& a = server_->auth_counters();
  j["proxy_auth"] = {{"checked", a.verified.load()}, {"remembered", a.cache_hits.load()},
                     {"refused", a.refused.load()},  {"throttled", a.throttled.load()},
                     {"busy", a.busy.load()},        {"upgraded", a.upgraded.load()}};
  if (mirror_) {
    const auto& m = mirror_->counters();
    j["mirror"] = {{"packets", m.packets.load()},
                   {"dropped_packets", m.dropped_packets.load()},
                   {"files", m.files.load()},
                   {"write_errors", m.write_errors.load()},
                   {"stream_dropped_packets", m.stream_dropped_packets.load()},
                   {"stream_refused", m.stream_refused.load()},
                   {"producer_waits", m.producer_waits.load()}};
  }
  return j;
}

void ProxyStack::print_counters() const {
  if (!server_) return;
  const auto& c = server_->counters();
  std::cerr << "proxy: accepted " << c.accepted << ", active " << c.active << ", decrypted "
            << c.decrypted << ", relayed plain " << c.relayed_plain << ", bad requests "
            << c.bad_request << ", upstream connect failed " << c.upstream_connect_failed
            << ", upstream handshake failed " << c.upstream_handshake_failed
            << ", upstream invalid " << c.upstream_invalid << ", client handshake failed "
            << c.client_handshake_failed << ", timed out " << c.timed_out
            << ", destinations refused " << c.destination_refused << ", Alt-Svc h3 stripped "
            << c.alt_svc_stripped << ", proxy logins kept from origins " << c.logins_consumed
            << ", pipelined requests not sent " << c.pipelined_dropped << ", responses refused "
            << c.response_refused << ", h2 bridged to HTTP/1.1 " << c.bridged_h2_h1
            << ", upgraded by STARTTLS " << c.starttls << " (violations " << c.starttls_violations
            << "), bytes c2s " << c.bytes_c2s << ", s2c " << c.bytes_s2c << "; certificates minted "
            << config_.minter->counters().minted << ", cache hits "
            << config_.minter->counters().hits << "\n";
  if (mirror_) {
    const auto& m = mirror_->counters();
    std::cerr << "mirror: packets " << m.packets << ", dropped " << m.dropped_packets << ", files "
              << m.files << ", write errors " << m.write_errors << ", pcap-over-IP dropped "
              << m.stream_dropped_packets << ", pcap-over-IP receivers refused " << m.stream_refused
              << ", disk waits " << m.disk_waits << ", waits for room " << m.producer_waits << "\n";
  }
}

}  // namespace kagami::app
