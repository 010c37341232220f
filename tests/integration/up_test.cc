// `kagami up --demo`, the README's main command: proxy, recorder and console on one store,
// the demo's servers and office traffic through the proxy, and the console showing it.
#include <chrono>
#include <regex>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "integration/harness.h"
#include "support/temp_dir.h"

namespace kagami::test {
namespace {

using nlohmann::json;

TEST(Up, DemoFillsTheConsoleThroughTheProxy) {
  ::signal(SIGPIPE, SIG_IGN);
  TempDir dir;
  const std::string store = dir.path() + "/store";
  Background up({KAGAMI_BINARY, "up", "--store", store, "--demo", "--proxy", "127.0.0.1:0",
                 "--console", "127.0.0.1:0", "--demo-rounds", "2", "-q"});
  ASSERT_TRUE(up.wait_for_stderr("demo: done", 90000)) << up.err();
  const std::string err = up.err();
  EXPECT_EQ(err.find("failed"), std::string::npos) << err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(err, m, std::regex(R"(console  https://127\.0\.0\.1:(\d+)/)")))
      << err;
  const int port = std::stoi(m[1]);
  ASSERT_TRUE(std::regex_search(err, m, std::regex(R"(login    admin / (\S+))"))) << err;
  const std::string password = m[1];
  EXPECT_EQ(read_file(store + "/console/admin-password"), password + "\n");

  httplib::SSLClient c("127.0.0.1", port);
  c.set_ca_cert_path((store + "/console/console-ca.crt").c_str());
  c.enable_server_certificate_verification(true);
  auto login = c.Post("/api/login", json{{"user", "admin"}, {"password", password}}.dump(),
                      "application/json");
  ASSERT_TRUE(login);
  ASSERT_EQ(login->status, 200) << login->body;
  const std::string set_cookie = login->get_header_value("Set-Cookie");
  const httplib::Headers auth{{"Cookie", set_cookie.substr(0, set_cookie.find(';'))}};
  auto count = [&](const std::string& q, const char* kind) -> std::int64_t {
    auto r = c.Get(("/api/search?limit=0&kind=" + std::string(kind) +
                    "&q=" + httplib::detail::encode_query_param(q))
                       .c_str(),
                   auth);
    if (!r || r->status != 200) return -1;
    return json::parse(r->body)["total"].get<std::int64_t>();
  };
  // Sessions reach the index when they close, findings and alerts when the inspection pool has
  // read their files (later again on a loaded machine): counts are taken once they reach what
  // is expected, or after 30 s.
  auto settled = [&](const std::string& q, const char* kind, std::int64_t want) {
    std::int64_t n = count(q, kind);
    for (int i = 0; i < 60 && n < want; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      n = count(q, kind);
    }
    return n;
  };
  EXPECT_EQ(settled("app:smtp", "sessions", 6), 6);
  // Mail is submitted with STARTTLS, as mail clients send it: the proxy took part in each
  // upgrade (the demo's client trusts only the organisation's CA, so an upgrade the proxy
  // missed would fail its mail), every mail session is decrypted and its mail read.
  EXPECT_EQ(count("app:smtp decrypted:true", "sessions"), 6);
  EXPECT_EQ(count("decrypted:true", "mail"), count("*", "mail"));
  // Everything went through the proxy and was decrypted but the two tries to reach the
  // console through it, which the proxy refused and the store keeps; the proxy's users are
  // the "who".
  EXPECT_NE(err.find("1 attempt(s) to reach the console through the proxy refused"),
            std::string::npos)
      << err;
  // What they were, when there are others (a session split, a note gone to the wrong one).
  auto show = [&](const std::string& q, const char* kind) -> std::string {
    auto r = c.Get(("/api/search?limit=10&kind=" + std::string(kind) +
                    "&q=" + httplib::detail::encode_query_param(q))
                       .c_str(),
                   auth);
    return r ? r->body : "";
  };
  EXPECT_EQ(count("decrypted:false", "sessions"), 2) << show("decrypted:false", "sessions");
  // The demo's store keeps what a laptop can spare, as the sensor page says.
  auto sensor = c.Get("/api/status", auth);
  ASSERT_TRUE(sensor && sensor->status == 200);
  const json st = json::parse(sensor->body);
  EXPECT_EQ(st["store"].value("retention", ""),
            "store 2.0 GiB, evidence until the size limit, keep 1.0 GiB free")
      << st.dump();
  EXPECT_EQ(count("user:suzuki decrypted:false", "sessions"), 2);
  EXPECT_EQ(count("*", "sessions"), count("decrypted:true", "sessions") + 2);
  EXPECT_GE(count("host:*.kagami-demo.test", "sessions"), 10);
  EXPECT_GE(count("user:tanaka", "sessions"), 6);
  EXPECT_GE(count("user:suzuki", "sessions"), 4);
  // What the office did: uploads and mails with My Numbers, a download a rule calls malware.
  EXPECT_EQ(settled("finding:yara:Kagami_Demo_Dropper", "alerts", 2), 2);
  EXPECT_GE(settled("finding:jp_my_number direction:sent", "alerts", 4), 4);
  EXPECT_EQ(count("subject:見積書の送付", "mail"), 2);
  EXPECT_GE(count("file.name:顧客リスト*", "files"), 2);
  EXPECT_EQ(count("method:POST uri:/upload", "http"), 2);
  // The apps of today: an HTTP/2 API (the report with the list in it is the connection's second
  // stream) and a WebSocket chat where a My Number was pasted, both read through the proxy.
  EXPECT_NE(err.find("5 HTTP/2 request(s), 6 WebSocket message(s)"), std::string::npos) << err;
  // suzuki's news reader speaks only HTTP/2 and the intranet site only HTTP/1.1: the proxy
  // bridged them, and the record holds the reader's HTTP/2 exchanges.
  EXPECT_EQ(count("uri:/news/2 http.stream:5 status:200", "http"), 2);
  // Records carry who from the first one: the proxy's login, HTTP/2 and mail included.
  EXPECT_EQ(count("uri:/news/2 http.stream:5 user:suzuki", "http"), 2);
  EXPECT_EQ(count("uri:/api/report user:tanaka", "http"), 2);
  EXPECT_EQ(count("user:tanaka", "mail"), count("*", "mail"));
  EXPECT_GE(count("user:tanaka", "mail"), 6);
  EXPECT_EQ(count("method:POST uri:/api/report http.stream:3", "http"), 2);
  EXPECT_EQ(count("uri:/api/notices status:200", "http"), 2);
  EXPECT_EQ(settled("finding:jp_my_number uri:/api/report", "alerts", 2), 2);
  EXPECT_EQ(count("ws.text:*マイナンバー*", "websocket"), 4);
  EXPECT_EQ(count("ws.sender:client ws.opcode:text", "websocket"), 6);
  // Every demo web answer (12 a round) advertised HTTP/3; the proxy took each one out.
  const auto status = json::parse(read_file(store + "/status/up.json"));
  EXPECT_GE(status["proxy"]["alt_svc_stripped"].get<std::int64_t>(), 2 * 12) << status.dump();
  EXPECT_EQ(status["proxy"]["bridged_h2_h1"].get<std::int64_t>(), 2) << status.dump();
  // PPAP: each encrypted zip is an alert; its password mail opens it, and the list inside is
  // found like any attachment. The password itself shows nowhere.
  EXPECT_EQ(settled("finding:ppap_opened", "findings", 2), 2);
  EXPECT_EQ(settled("finding:ppap_password", "findings", 2), 2);
  EXPECT_EQ(settled("finding:encrypted", "alerts", 2), 2);
  EXPECT_EQ(
      settled("file.name:\"顧客リスト.zip/顧客リスト.csv\" finding:jp_my_number", "alerts", 2), 2);
  auto pw = c.Get(("/api/search?kind=mail&q=" +
                   httplib::detail::encode_query_param("subject:パスワードのお知らせ"))
                      .c_str(),
                  auth);
  ASSERT_TRUE(pw);
  ASSERT_EQ(pw->status, 200) << pw->body;
  const json mails = json::parse(pw->body)["records"];
  ASSERT_EQ(mails.size(), 2u);
  for (const auto& mail : mails) {
    const std::string body = mail.value("body_text", "");
    EXPECT_NE(body.find("パスワード：********"), std::string::npos) << body;
    EXPECT_EQ(body.find("Kg#"), std::string::npos) << body;
    // The link shows on the password mail: which zip, in which mail, its password opens.
    auto detail =
        c.Get(("/api/mail/" + std::to_string(mail["id"].get<std::uint64_t>())).c_str(), auth);
    ASSERT_TRUE(detail);
    bool linked = false;
    const json d = json::parse(detail->body);
    for (const auto& f : d["findings"])
      linked =
          linked || (f["detector"] == "ppap_password" &&
                     f["sample"].get<std::string>().rfind("opens 顧客リスト.zip in mail ", 0) == 0);
    EXPECT_TRUE(linked) << detail->body;
  }

  up.signal(SIGINT);
  EXPECT_EQ(up.wait(60000), 0) << up.err();
  auto verify = kagami({"verify", "--store", store});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

}  // namespace
}  // namespace kagami::test
