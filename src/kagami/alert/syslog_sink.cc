#include <nlohmann/json.hpp>

#include "kagami/alert/net_client.h"
#include "kagami/alert/sinks.h"

namespace kagami::alert {
namespace {

// RFC 5424 SD-PARAM values escape '"', '\' and ']' (section 6.3.3).
std::string sd_escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '"' || c == '\\' || c == ']') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// RFC 5424 severities: critical 2, error 3 (high), warning 4 (medium), notice 5 (low).
int syslog_severity(const std::string& s) {
  if (s == "critical") return 2;
  if (s == "high") return 3;
  if (s == "medium") return 4;
  return 5;
}

// Syslog, RFC 5424: one message per alert, the EVE JSON as its MSG and the key fields as
// structured data (enterprise number 32473, the one RFC 5612 sets aside for documentation,
// until Kagami has its own). UDP (RFC 5426) or TCP with octet counting (RFC 6587 3.4.1).
class SyslogSink final : public AlertSink {
 public:
  SyslogSink(SinkConfig c, std::string sensor) : c_(std::move(c)), sensor_(std::move(sensor)) {
    // HOSTNAME is printable US-ASCII without spaces (RFC 5424 6.2.4).
    for (char& ch : sensor_)
      if (ch <= 32 || ch >= 127) ch = '_';
    if (sensor_.empty()) sensor_ = "-";
  }
  Status deliver(const std::vector<std::string>& events) override {
    const bool udp = c_.transport == "udp";
    auto conn = NetClient::connect(c_.address, udp, c_.timeout_ms);
    if (!conn) return conn.error();
    for (const auto& e : events) {
      const std::string msg = format(e);
      const std::string frame = udp ? msg : std::to_string(msg.size()) + " " + msg;
      if (auto s = conn->send_all(frame); !s) return s;
    }
    return {};
  }

 private:
  std::string format(const std::string& event) const {
    const auto j = nlohmann::json::parse(event, nullptr, false);
    std::string severity = "low", ts = "-", id = "0", session = "0", sha = "", title = "";
    if (j.is_object() && j.contains("kagami")) {
      const auto& k = j["kagami"];
      severity = k.value("severity", "low");
      id = std::to_string(k.value("alert_id", std::uint64_t{0}));
      session = std::to_string(k.value("session_id", std::uint64_t{0}));
      ts = j.value("timestamp", "-");
      if (const auto file = j.find("fileinfo"); file != j.end() && file->is_object())
        sha = file->value("sha256", "");  // an alert on a remote call has no file
      if (const auto alert = j.find("alert"); alert != j.end() && alert->is_object())
        title = alert->value("signature", "");
    }
    const int pri = c_.facility * 8 + syslog_severity(severity);
    return "<" + std::to_string(pri) + ">1 " + ts + " " + sensor_ +
           " kagami - alert [kagami@32473 severity=\"" + sd_escape(severity) + "\" alert_id=\"" +
           id + "\" session_id=\"" + session + "\" sha256=\"" + sd_escape(sha) + "\" title=\"" +
           sd_escape(title) + "\"] " + event;
  }

  SinkConfig c_;
  std::string sensor_;
};

}  // namespace

std::unique_ptr<AlertSink> make_syslog_sink(const SinkConfig& c, const std::string& sensor) {
  return std::make_unique<SyslogSink>(c, sensor);
}

}  // namespace kagami::alert
