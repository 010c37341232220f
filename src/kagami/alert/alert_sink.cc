#include "kagami/alert/alert_sink.h"

#include "kagami/alert/sinks.h"

namespace kagami::alert {

Result<std::unique_ptr<AlertSink>> make_sink(const SinkConfig& c, const std::string& sensor) {
  if (c.type == "jsonl") {
    if (c.path.empty()) return make_error("alert sink jsonl: a path is required");
    return make_jsonl_sink(c);
  }
  if (c.type == "syslog") {
    if (c.address.empty()) return make_error("alert sink syslog: an address is required");
    if (c.transport != "udp" && c.transport != "tcp")
      return make_error("alert sink syslog: transport must be \"udp\" or \"tcp\"");
    return make_syslog_sink(c, sensor);
  }
  if (c.type == "email") {
    if (c.smtp.empty() || c.from.empty() || c.to.empty())
      return make_error("alert sink email: smtp, from and to are required");
    return make_email_sink(c, sensor);
  }
  if (c.type == "webhook") {
    if (c.url.rfind("http://", 0) != 0 && c.url.rfind("https://", 0) != 0)
      return make_error("alert sink webhook: url must start with http:// or https://");
    return make_webhook_sink(c);
  }
  return make_error("alert sink: unknown type '{}' (jsonl, syslog, email, webhook)", c.type);
}

}  // namespace kagami::alert
