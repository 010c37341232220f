#include <ctime>

#include <nlohmann/json.hpp>
#include <unistd.h>

#include "kagami/alert/net_client.h"
#include "kagami/alert/sinks.h"
#include "kagami/base/base64.h"
#include "kagami/records/finding_record.h"

namespace kagami::alert {
namespace {

// RFC 2047 encoded word for a header that may hold Japanese file names and titles.
std::string encoded_word(const std::string& text) {
  bool ascii = true;
  for (unsigned char c : text) ascii = ascii && c >= 32 && c < 127;
  if (ascii) return text;
  return "=?UTF-8?B?" + base64_encode(text) + "?=";
}

// E-mail to the administrator: the alerts gathered since the last message, as one message
// (the dispatcher batches and rate-limits), sent through the configured SMTP server.
class EmailSink final : public AlertSink {
 public:
  EmailSink(SinkConfig c, std::string sensor) : c_(std::move(c)), sensor_(std::move(sensor)) {}

  Status deliver(const std::vector<std::string>& events) override {
    if (events.empty()) return {};
    auto conn = NetClient::connect(c_.smtp, false, c_.timeout_ms);
    if (!conn) return conn.error();
    if (auto s = expect(*conn, 220); !s) return s;
    char host[256] = "kagami";
    ::gethostname(host, sizeof host - 1);
    if (auto s = command(*conn, std::string("EHLO ") + host, 250); !s) return s;
    if (auto s = command(*conn, "MAIL FROM:<" + c_.from + ">", 250); !s) return s;
    for (const auto& to : c_.to)
      if (auto s = command(*conn, "RCPT TO:<" + to + ">", 250); !s) return s;
    if (auto s = command(*conn, "DATA", 354); !s) return s;
    if (auto s = conn->send_all(message(events)); !s) return s;
    if (auto s = command(*conn, ".", 250); !s) return s;
    (void)command(*conn, "QUIT", 221);  // the message is accepted already
    return {};
  }

 private:
  // Reads a reply (multi-line replies have '-' after the code) and checks its code.
  static Status expect(NetClient& conn, int code) {
    for (;;) {
      auto line = conn.read_line();
      if (!line) return line.error();
      if (line->size() < 3) return make_error("SMTP: malformed reply '{}'", *line);
      if (line->size() > 3 && (*line)[3] == '-') continue;
      if (std::atoi(line->substr(0, 3).c_str()) != code &&
          !(code == 250 && line->compare(0, 3, "251") == 0))
        return make_error("SMTP: expected {}, got '{}'", code, *line);
      return {};
    }
  }
  static Status command(NetClient& conn, const std::string& line, int code) {
    if (auto s = conn.send_all(line + "\r\n"); !s) return s;
    return expect(conn, code);
  }

  std::string message(const std::vector<std::string>& events) const {
    std::string worst = "low", body;
    for (const auto& e : events) {
      const auto j = nlohmann::json::parse(e, nullptr, false);
      if (!j.is_object()) continue;
      const auto& k = j.value("kagami", nlohmann::json::object());
      const std::string sev = k.value("severity", "low");
      if (records::severity_rank(sev) > records::severity_rank(worst)) worst = sev;
      body += "[" + sev + "] " + j["alert"].value("signature", "") + "\n";
      body += "  time:     " + j.value("timestamp", "") + "\n";
      body += "  from:     " + j.value("src_ip", "") + ":" +
              std::to_string(j.value("src_port", 0)) + "  to: " + j.value("dest_ip", "") + ":" +
              std::to_string(j.value("dest_port", 0)) + " (" + j.value("app_proto", "") + ", " +
              k.value("direction", "") + ")\n";
      if (const auto file = j.find("fileinfo"); file != j.end() && file->is_object())
        body += "  file:     " + file->value("filename", "") + "  sha256 " +
                file->value("sha256", "") + "\n";
      else if (k.contains("operation"))
        body += "  call:     " + k.value("operation", "") + "\n";
      body += "  findings: " + k.value("summary", "") + "\n";
      body += "  session:  " + std::to_string(k.value("session_id", std::uint64_t{0})) +
              "  alert: " + std::to_string(k.value("alert_id", std::uint64_t{0})) + "\n\n";
    }
    body +=
        "kagami alerts --store STORE --session ID and kagami export give the details and the "
        "packets.\n";
    const std::string subject = "[Kagami] " + std::to_string(events.size()) + " alert" +
                                (events.size() == 1 ? "" : "s") + " (" + worst + ")" +
                                (sensor_.empty() ? "" : " on " + sensor_);
    char date[64];
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    std::string to;
    for (const auto& t : c_.to) to += (to.empty() ? "" : ", ") + t;
    std::string m = "From: " + c_.from + "\r\nTo: " + to + "\r\nSubject: " + encoded_word(subject) +
                    "\r\nDate: " + date +
                    "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"
                    "Content-Transfer-Encoding: 8bit\r\nX-Kagami-Alerts: " +
                    std::to_string(events.size()) + "\r\n\r\n";
    // Lines end in CRLF; a line starting with '.' gets another (RFC 5321 4.5.2).
    std::size_t at = 0;
    while (at < body.size()) {
      std::size_t nl = body.find('\n', at);
      if (nl == std::string::npos) nl = body.size();
      const std::string line = body.substr(at, nl - at);
      if (!line.empty() && line[0] == '.') m += ".";
      m += line + "\r\n";
      at = nl + 1;
    }
    return m;
  }

  SinkConfig c_;
  std::string sensor_;
};

}  // namespace

std::unique_ptr<AlertSink> make_email_sink(const SinkConfig& c, const std::string& sensor) {
  return std::make_unique<EmailSink>(c, sensor);
}

}  // namespace kagami::alert
