#include <httplib.h>

#include "kagami/alert/sinks.h"

namespace kagami::alert {
namespace {

// A webhook: the events as one JSON array, POSTed to the URL (Slack/Teams relays, SOAR
// platforms, a collector); any 2xx is delivery.
class WebhookSink final : public AlertSink {
 public:
  explicit WebhookSink(const SinkConfig& c) : timeout_ms_(c.timeout_ms) {
    // "scheme://host:port" for the client, the rest is the path.
    const std::size_t host_start = c.url.find("://") + 3;
    const std::size_t slash = c.url.find('/', host_start);
    base_ = c.url.substr(0, slash);
    path_ = slash == std::string::npos ? "/" : c.url.substr(slash);
  }
  Status deliver(const std::vector<std::string>& events) override {
    std::string body = "[";
    for (std::size_t i = 0; i < events.size(); ++i) body += (i ? "," : "") + events[i];
    body += "]";
    httplib::Client client(base_);
    client.set_connection_timeout(std::chrono::milliseconds(timeout_ms_));
    client.set_read_timeout(std::chrono::milliseconds(timeout_ms_));
    client.set_write_timeout(std::chrono::milliseconds(timeout_ms_));
    auto res = client.Post(path_, body, "application/json");
    if (!res) return make_error("webhook {}{}: {}", base_, path_, httplib::to_string(res.error()));
    if (res->status / 100 != 2)
      return make_error("webhook {}{}: HTTP {}", base_, path_, res->status);
    return {};
  }

 private:
  std::string base_, path_;
  int timeout_ms_;
};

}  // namespace

std::unique_ptr<AlertSink> make_webhook_sink(const SinkConfig& c) {
  return std::make_unique<WebhookSink>(c);
}

}  // namespace kagami::alert
