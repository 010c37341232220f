#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "kagami/base/result.h"

namespace kagami::demo {

// The demo's Internet on loopback: names, the root that signs their certificates, and the
// proxy users whose traffic it drives.
inline constexpr const char* kWebHost = "www.kagami-demo.test";
inline constexpr const char* kUploadHost = "upload.kagami-demo.test";
inline constexpr const char* kFilesHost = "files.kagami-demo.test";
inline constexpr const char* kMailHost = "mail.kagami-demo.test";
inline constexpr const char* kAppsHost = "apps.kagami-demo.test";  // HTTP/2 API, WebSocket chat

struct DemoUser {
  std::string name, password;
};
const std::vector<DemoUser>& demo_users();

// What the payload the demo downloads is flagged by: a YARA rule the demo's recorder loads.
extern const char* const kDemoYaraRule;

// HTTPS (three sites by Host) and SMTP over TLS on 127.0.0.1, certificates from a root of
// their own written to `dir` (with a bundle of it and the system's roots for the proxy).
class DemoServers {
 public:
  static Result<std::unique_ptr<DemoServers>> start(const std::string& dir);
  ~DemoServers();
  DemoServers(const DemoServers&) = delete;
  DemoServers& operator=(const DemoServers&) = delete;

  std::uint16_t web_port() const { return web_port_; }
  std::uint16_t mail_port() const { return mail_port_; }
  std::uint16_t apps_port() const { return apps_port_; }
  const std::string& upstream_bundle() const { return bundle_; }  // for the proxy's upstream
  // The proxy's hosts table: every demo name on 127.0.0.1.
  std::unordered_map<std::string, std::string> hosts() const;
  std::uint64_t messages_received() const { return messages_.load(); }
  void stop();

  struct Impl;

 private:
  DemoServers() = default;
  std::uint16_t web_port_ = 0, mail_port_ = 0, apps_port_ = 0;
  std::string bundle_;
  std::atomic<std::uint64_t> messages_{0};
  std::unique_ptr<Impl> impl_;
};

struct TrafficTarget {
  std::string proxy_host = "127.0.0.1";
  std::uint16_t proxy_port = 0;
  std::string org_ca;  // the organisation's CA, which the demo's clients trust
  std::uint16_t web_port = 0, mail_port = 0, apps_port = 0;
  std::uint16_t console_port = 0;  // a curious user tries to reach it through the proxy
};

struct TrafficReport {
  std::uint64_t requests = 0, uploads = 0, downloads = 0, mails = 0, failures = 0;
  std::uint64_t h2_requests = 0, chat_messages = 0;
  std::uint64_t refused = 0;  // attempts the proxy refused, as it must
  std::string first_failure;
};

// One round of what an office does: two users browse, one uploads a customer list with My
// Numbers, one downloads a tool a rule calls malware, one mails a quote with the list
// attached and mails it again the PPAP way (an encrypted zip, then its password) — all
// through the proxy, which decrypts each of them — and one tries to reach the console
// through the proxy, which refuses (and records the attempt). The apps of today too: an
// HTTP/2 API that takes a report (with the list in it) and a WebSocket chat.
TrafficReport drive_round(const TrafficTarget& target, unsigned round);

}  // namespace kagami::demo
