#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "kagami/base/result.h"

namespace kagami::console {

// Counters as Prometheus scrapes them (text exposition format 0.0.4): "capture.packets" becomes
// kagami_capture_packets_total, a counter; a level that goes up and down ("flow.active", a
// peak) is a gauge and keeps its name. One TYPE line per metric.
std::string prometheus_text(const std::vector<std::pair<std::string, std::uint64_t>>& counters);

// GET /metrics over plain HTTP, for a Prometheus on the management network: the console's HTTP
// server (its bounds and timeouts), one route, no login — what it shows are counts, never
// traffic. `counters` is called per scrape, on a server thread.
class MetricsServer {
 public:
  using Counters = std::function<std::vector<std::pair<std::string, std::uint64_t>>()>;
  static Result<std::unique_ptr<MetricsServer>> start(const std::string& listen, Counters counters);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;
  std::uint16_t port() const;
  void stop();

  struct Impl;

 private:
  explicit MetricsServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kagami::console
