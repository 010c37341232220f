#include <atomic>
#include <fstream>
#include <thread>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>
#include <unistd.h>

#include "kagami/alert/alert_dispatcher.h"
#include "kagami/alert/alert_event.h"
#include "kagami/alert/alert_sink.h"
#include "kagami/alert/disk_queue.h"

#include "support/temp_dir.h"

namespace kagami::alert {
namespace {

// A listening socket on 127.0.0.1 and a free port (UDP or TCP).
struct Listener {
  int fd = -1;
  int port = 0;
  explicit Listener(bool udp) {
    fd = ::socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    if (!udp) ::listen(fd, 8);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~Listener() { ::close(fd); }
  std::string address() const { return "127.0.0.1:" + std::to_string(port); }
};

// Reads what a TCP client sends until it closes.
std::string read_all(int fd) {
  std::string s;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) s.append(buf, static_cast<std::size_t>(n));
  return s;
}

records::AlertRecord sample_alert(std::uint64_t id, const std::string& severity) {
  records::AlertRecord a;
  a.id = id;
  a.ts = 1795781150000000000;
  a.severity = severity;
  a.title = "My Numbers sent";
  a.session_id = 3;
  a.sha256 = std::string(64, 'a');
  a.endpoints.client_ip = IpAddress::parse("10.0.0.5").value();
  a.endpoints.server_ip = IpAddress::parse("192.0.2.25").value();
  a.endpoints.client_port = 41814;
  a.endpoints.server_port = 25;
  a.protocol = "smtp";
  a.direction = "sent";
  a.file_name = "社員名簿.xlsx";
  a.findings = "jp_my_number x20 (high)";
  return a;
}

std::string event(std::uint64_t id, const std::string& severity = "high") {
  records::FindingRecord f;
  f.alert_id = id;
  f.detector = "jp_my_number";
  f.confidence = "high";
  f.count = 20;
  f.severity = severity;
  f.sample = "********9018";
  return eve_json(sample_alert(id, severity), {f}, "sensor-1");
}

// An alert on what a record says happened (a service created over DCE/RPC): no file.
std::string call_event(std::uint64_t id) {
  records::AlertRecord a = sample_alert(id, "high");
  a.title = "Service created remotely";
  a.sha256.clear();
  a.protocol = "dcerpc";
  a.endpoints.server_port = 445;
  a.file_name = "\\\\fs01\\IPC$\\svcctl RCreateServiceW";
  a.user = "OFFICE\\tanaka";
  a.findings = "dcerpc:service_created x1 (high)";
  records::FindingRecord f;
  f.alert_id = id;
  f.detector = "dcerpc:service_created";
  f.confidence = "high";
  f.count = 1;
  f.severity = "high";
  f.sample = "PSEXESVC: %SystemRoot%\\PSEXESVC.exe";
  return eve_json(a, {f}, "sensor-1");
}

TEST(AlertEvent, ARemoteCallNamesItsOperationNotAFile) {
  const auto j = nlohmann::json::parse(call_event(9));
  EXPECT_EQ(j["alert"]["category"], "Remote administration");
  EXPECT_FALSE(j.contains("fileinfo"));
  EXPECT_EQ(j["kagami"]["operation"], "\\\\fs01\\IPC$\\svcctl RCreateServiceW");
  EXPECT_EQ(j["kagami"]["findings"][0]["sample"], "PSEXESVC: %SystemRoot%\\PSEXESVC.exe");
  EXPECT_FALSE(nlohmann::json::parse(event(7))["kagami"].contains("operation"));
}

TEST(AlertEvent, IsEveShapedWithKagamisFindings) {
  const auto j = nlohmann::json::parse(event(7));
  EXPECT_EQ(j["event_type"], "alert");
  EXPECT_EQ(j["src_ip"], "10.0.0.5");
  EXPECT_EQ(j["dest_port"], 25);
  EXPECT_EQ(j["app_proto"], "smtp");
  EXPECT_EQ(j["alert"]["signature"], "My Numbers sent");
  EXPECT_EQ(j["alert"]["severity"], 1);
  EXPECT_EQ(j["alert"]["category"], "Data leak");
  EXPECT_EQ(j["fileinfo"]["filename"], "社員名簿.xlsx");
  EXPECT_EQ(j["kagami"]["findings"][0]["sample"], "********9018");
  EXPECT_EQ(j["kagami"]["alert_id"], 7);
}

TEST(DiskQueue, KeepsWhatWasNotDeliveredAcrossReopening) {
  test::TempDir dir;
  {
    auto q = DiskQueue::open(dir.path() + "/q", 1 << 20);
    ASSERT_TRUE(q);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(q.value()->push("event " + std::to_string(i)));
    std::uint64_t bytes = 0;
    auto head = q.value()->peek(2, bytes);
    ASSERT_TRUE(head);
    EXPECT_EQ(head.value(), (std::vector<std::string>{"event 0", "event 1"}));
    ASSERT_TRUE(q.value()->pop(bytes));
  }
  // A crash while appending leaves half a line: it is cut, the rest is kept.
  std::ofstream(dir.path() + "/q/queue.jsonl", std::ios::app) << "half an ev";
  auto q = DiskQueue::open(dir.path() + "/q", 1 << 20);
  ASSERT_TRUE(q);
  std::uint64_t bytes = 0;
  auto rest = q.value()->peek(10, bytes);
  ASSERT_TRUE(rest);
  EXPECT_EQ(rest.value(), (std::vector<std::string>{"event 2", "event 3", "event 4"}));
  ASSERT_TRUE(q.value()->pop(bytes));
  EXPECT_TRUE(q.value()->empty());
  // Bounded: a full queue refuses.
  auto small = DiskQueue::open(dir.path() + "/small", 20);
  ASSERT_TRUE(small);
  EXPECT_TRUE(small.value()->push("0123456789"));
  EXPECT_FALSE(small.value()->push("0123456789"));
}

TEST(AlertSinks, SyslogOverUdpAndTcpIsRfc5424) {
  Listener udp(true), tcp(false);
  SinkConfig c;
  c.type = "syslog";
  c.address = udp.address();
  auto sink = make_sink(c, "sensor 1");
  ASSERT_TRUE(sink);
  ASSERT_TRUE(sink.value()->deliver({event(1)}));
  char buf[8192];
  const ssize_t n = ::recv(udp.fd, buf, sizeof buf, 0);
  ASSERT_GT(n, 0);
  const std::string msg(buf, static_cast<std::size_t>(n));
  // local0 (16) * 8 + error (3) = 131; version 1; RFC 3339 time; host without spaces.
  EXPECT_EQ(msg.rfind("<131>1 2026-11-27T", 0), 0u) << msg;
  EXPECT_NE(msg.find(" sensor_1 kagami - alert [kagami@32473 severity=\"high\" alert_id=\"1\""),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("] {\"alert\""), std::string::npos) << msg;
  // An alert without a file (a remote call) has an empty sha256.
  ASSERT_TRUE(sink.value()->deliver({call_event(2)}));
  const ssize_t m = ::recv(udp.fd, buf, sizeof buf, 0);
  ASSERT_GT(m, 0);
  const std::string call(buf, static_cast<std::size_t>(m));
  EXPECT_NE(call.find("sha256=\"\" title=\"Service created remotely\"]"), std::string::npos)
      << call;

  c.address = tcp.address();
  c.transport = "tcp";
  auto tsink = make_sink(c, "s");
  std::string got;
  std::thread server([&] {
    const int fd = ::accept(tcp.fd, nullptr, nullptr);
    got = read_all(fd);
    ::close(fd);
  });
  ASSERT_TRUE(tsink.value()->deliver({event(1), event(2, "medium")}));
  tsink.value().reset();
  server.join();
  // Octet counting: "LEN SP MSG" frames back to back.
  const std::size_t sp = got.find(' ');
  const std::size_t len = std::stoul(got.substr(0, sp));
  const std::string second = got.substr(sp + 1 + len);
  EXPECT_EQ(got.substr(sp + 1, 5), "<131>");
  EXPECT_EQ(second.substr(second.find(' ') + 1, 5), "<132>");  // medium: warning
}

TEST(AlertSinks, EmailIsOneMessageForABatch) {
  Listener smtp(false);
  std::string data;
  std::thread server([&] {
    const int fd = ::accept(smtp.fd, nullptr, nullptr);
    auto say = [&](const std::string& s) { ::send(fd, s.data(), s.size(), 0); };
    say("220 test ESMTP\r\n");
    std::string in;
    char buf[4096];
    bool in_data = false;
    for (;;) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      in.append(buf, static_cast<std::size_t>(n));
      std::size_t nl;
      while ((nl = in.find("\r\n")) != std::string::npos) {
        const std::string line = in.substr(0, nl);
        in.erase(0, nl + 2);
        if (in_data) {
          if (line == ".") {
            in_data = false;
            say("250 queued\r\n");
          } else {
            data += line + "\n";
          }
        } else if (line.rfind("EHLO", 0) == 0) {
          say("250-test\r\n250 8BITMIME\r\n");
        } else if (line == "DATA") {
          in_data = true;
          say("354 go\r\n");
        } else if (line == "QUIT") {
          say("221 bye\r\n");
        } else {
          say("250 ok\r\n");
        }
      }
    }
    ::close(fd);
  });
  SinkConfig c;
  c.type = "email";
  c.smtp = smtp.address();
  c.from = "kagami@example.jp";
  c.to = {"soc@example.jp"};
  auto sink = make_sink(c, "sensor-1");
  ASSERT_TRUE(sink);
  const Status st = sink.value()->deliver({event(1), event(2, "medium"), event(3), call_event(4)});
  server.join();
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_NE(data.find("Subject: [Kagami] 4 alerts (high) on sensor-1"), std::string::npos) << data;
  EXPECT_NE(data.find("call:     \\\\fs01\\IPC$\\svcctl RCreateServiceW"), std::string::npos)
      << data;
  EXPECT_NE(data.find("[high] My Numbers sent"), std::string::npos) << data;
  EXPECT_NE(data.find("社員名簿.xlsx"), std::string::npos);
  EXPECT_NE(data.find("jp_my_number x20 (high)"), std::string::npos);
}

// A webhook receiver that answers each request with `status`, collecting the bodies.
class WebhookServer {
 public:
  explicit WebhookServer(int status) : listener_(false), status_(status) {
    thread_ = std::thread([this] {
      for (;;) {
        const int fd = ::accept(listener_.fd, nullptr, nullptr);
        if (fd < 0 || stop_) {
          if (fd >= 0) ::close(fd);
          return;
        }
        std::string req;
        char buf[8192];
        ssize_t n;
        std::size_t want = std::string::npos;
        while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) {
          req.append(buf, static_cast<std::size_t>(n));
          const std::size_t head = req.find("\r\n\r\n");
          if (head != std::string::npos && want == std::string::npos) {
            const std::size_t cl = req.find("Content-Length: ");
            want = head + 4 + (cl == std::string::npos ? 0 : std::stoul(req.substr(cl + 16)));
          }
          if (want != std::string::npos && req.size() >= want) break;
        }
        bodies.push_back(req.substr(req.find("\r\n\r\n") + 4));
        const std::string reply = "HTTP/1.1 " + std::to_string(status_) +
                                  " X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        ::send(fd, reply.data(), reply.size(), 0);
        ::close(fd);
      }
    });
  }
  ~WebhookServer() {
    stop_ = true;
    ::shutdown(listener_.fd, SHUT_RDWR);
    thread_.join();
  }
  std::string url() const { return "http://" + listener_.address() + "/hook"; }
  std::vector<std::string> bodies;

 private:
  Listener listener_;
  int status_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST(AlertSinks, WebhookPostsAJsonArrayAndOnly2xxCounts) {
  SinkConfig c;
  c.type = "webhook";
  {
    WebhookServer ok(200);
    c.url = ok.url();
    auto sink = make_sink(c, "");
    ASSERT_TRUE(sink);
    ASSERT_TRUE(sink.value()->deliver({event(1), event(2)}));
    sink.value().reset();
    // The server thread collects the body before the reply the client waited for.
    ASSERT_EQ(ok.bodies.size(), 1u);
    const auto j = nlohmann::json::parse(ok.bodies[0]);
    ASSERT_TRUE(j.is_array());
    EXPECT_EQ(j.size(), 2u);
  }
  WebhookServer broken(503);
  c.url = broken.url();
  EXPECT_FALSE(make_sink(c, "").value()->deliver({event(1)}));
}

TEST(AlertDispatcher, ASinkThatIsDownGetsEverythingOnceItIsBack) {
  test::TempDir dir;
  const std::string jsonl = dir.path() + "/alerts.jsonl";
  Listener reserved(false);  // a port nobody answers on (listening, never accepting)
  const int port = reserved.port;
  ::close(reserved.fd);
  reserved.fd = ::socket(AF_INET, SOCK_STREAM, 0);  // the port is free now: connect is refused
  SinkConfig file;
  file.type = "jsonl";
  file.path = jsonl;
  file.min_severity = "high";
  SinkConfig syslog;
  syslog.type = "syslog";
  syslog.transport = "tcp";
  syslog.address = "127.0.0.1:" + std::to_string(port);
  DispatcherOptions o;
  o.queue_dir = dir.path() + "/queues";
  {
    auto d = AlertDispatcher::start({file, syslog}, o);
    ASSERT_TRUE(d) << d.error().message;
    records::FindingRecord f;
    f.alert_id = 1;
    d.value()->post(sample_alert(1, "high"), {f});
    d.value()->post(sample_alert(2, "medium"), {});
    d.value()->stop();
    const auto c = d.value()->counters();
    std::map<std::string, std::uint64_t> m(c.begin(), c.end());
    EXPECT_EQ(m["alert.jsonl.delivered"], 1u);  // the medium one is below its bound
    EXPECT_EQ(m["alert.syslog.delivered"], 0u);
    EXPECT_GE(m["alert.syslog.failures"], 1u);
  }
  std::ifstream in(jsonl);
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) ++lines;
  EXPECT_EQ(lines, 1);

  // The receiver comes up; the next run delivers what waited on disk, in order.
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  const int one = 1;
  ::setsockopt(reserved.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  ASSERT_EQ(::bind(reserved.fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ::listen(reserved.fd, 8);
  std::string got;
  std::thread server([&] {
    const int fd = ::accept(reserved.fd, nullptr, nullptr);
    got = read_all(fd);
    ::close(fd);
  });
  auto d = AlertDispatcher::start({file, syslog}, o);
  ASSERT_TRUE(d);
  d.value()->stop();
  server.join();
  EXPECT_NE(got.find("alert_id=\"1\""), std::string::npos) << got;
  EXPECT_NE(got.find("alert_id=\"2\""), std::string::npos) << got;
  EXPECT_LT(got.find("alert_id=\"1\""), got.find("alert_id=\"2\""));
}

}  // namespace
}  // namespace kagami::alert
