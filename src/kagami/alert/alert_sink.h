#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kagami/base/result.h"

namespace kagami::alert {

// Where alerts go, as configured ([[alert.sinks]]).
struct SinkConfig {
  std::string type;  // "jsonl", "syslog", "email", "webhook"
  std::string name;  // its queue's folder; defaults to the type
  std::string min_severity = "low";
  // jsonl
  std::string path;
  // syslog (RFC 5424): "ADDR:PORT", "udp" or "tcp" (octet-counted frames, RFC 6587)
  std::string address;
  std::string transport = "udp";
  int facility = 16;  // local0
  // email: through this SMTP server, batched and rate-limited
  std::string smtp;  // "ADDR:PORT"
  std::string from;
  std::vector<std::string> to;
  int batch_seconds = 60;  // alerts gathered into one message for this long
  int max_per_hour = 30;   // messages; beyond, alerts wait (on disk) for the next message
  // webhook: HTTP POST of a JSON array of events
  std::string url;
  int timeout_ms = 5000;
};

// Delivers events (EVE JSON objects, one per alert) to one destination. deliver() either
// takes all of them or none (the caller retries the same batch later).
class AlertSink {
 public:
  virtual ~AlertSink() = default;
  virtual Status deliver(const std::vector<std::string>& events) = 0;
};

// The sink a configuration describes, or why it is wrong.
Result<std::unique_ptr<AlertSink>> make_sink(const SinkConfig& config, const std::string& sensor);

}  // namespace kagami::alert
