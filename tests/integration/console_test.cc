// `kagami serve` end to end over HTTPS: a store recorded from a small incident, users of each
// role, and every promise of the console checked from the outside — no answer without a
// login, CSRF on every change, throttled guessing, masked findings for viewers, evidence out
// (pcap, files, malware zipped) and all of it in a hash chain that `kagami audit verify` checks.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <thread>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <sys/socket.h>

#include "integration/harness.h"
#include "support/investigation_fixture.h"
#include "support/temp_dir.h"

namespace kagami::test {
namespace {

using nlohmann::json;

class Console : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ::signal(SIGPIPE, SIG_IGN);  // a refused connection is an error to see, not a death
    dir_ = new TempDir();
    const std::string d = dir_->path();
    store_ = d + "/store";
    const TimeNs start = parse_time("2026-11-02T01:00:00Z").value();
    ASSERT_TRUE(write_conversations_pcap(d + "/incident.pcap", investigation_conversations(start)));
    write_file(d + "/rules.yar", kFixtureYaraRule);
    write_file(d + "/kagami.toml", "[inspect]\nyara_rules = [\"" + d + "/rules.yar\"]\n");
    auto rec = kagami(
        {"record", "--read", d + "/incident.pcap", "--store", store_, "-c", d + "/kagami.toml"});
    ASSERT_EQ(rec.exit_code, 0) << rec.err;
    for (const auto& [name, role] : {std::pair<std::string, std::string>{"alice", "admin"},
                                     {"ivan", "investigator"},
                                     {"vera", "viewer"}}) {
      write_file(d + "/pw", name + "-password-123\n");
      auto u = kagami(
          {"user", "set", "--store", store_, name, "--role", role, "--password-file", d + "/pw"});
      ASSERT_EQ(u.exit_code, 0) << u.err;
    }
    port_ = free_port();
    server_ = new Background({KAGAMI_BINARY, "serve", "--store", store_, "--listen",
                              "127.0.0.1:" + std::to_string(port_)});
    ASSERT_TRUE(server_->wait_for_stderr("console at", 15000)) << server_->err();
    // The same store in plain HTTP (as behind a TLS-terminating proxy), with tight bounds, for
    // the tests that speak raw HTTP from many source addresses.
    plain_port_ = free_port();
    plain_ = new Background({KAGAMI_BINARY, "serve", "--store", store_, "--plain-http", "--listen",
                             "127.0.0.1:" + std::to_string(plain_port_), "--max-connections", "64",
                             "--max-connections-per-client", "8", "--head-timeout-s", "3",
                             "--body-timeout-s", "3", "--idle-timeout-s", "5"});
    ASSERT_TRUE(plain_->wait_for_stderr("console at", 15000)) << plain_->err();
  }
  static void TearDownTestSuite() {
    for (Background* b : {server_, plain_}) {
      if (b == nullptr) continue;
      b->signal(SIGTERM);
      b->wait(10000);
      delete b;
    }
    delete dir_;
  }

  // A client that trusts only the console's own CA: the certificate is checked for real.
  static std::unique_ptr<httplib::SSLClient> client() {
    auto c = std::make_unique<httplib::SSLClient>("127.0.0.1", port_);
    c->set_ca_cert_path((store_ + "/console/console-ca.crt").c_str());
    c->enable_server_certificate_verification(true);
    c->set_read_timeout(30, 0);
    return c;
  }

  struct Session {
    std::string cookie, csrf, set_cookie;
  };
  static Session login(const std::string& user) {
    auto c = client();
    auto r =
        c->Post("/api/login", json{{"user", user}, {"password", user + "-password-123"}}.dump(),
                "application/json");
    Session s;
    if (!r || r->status != 200) {
      ADD_FAILURE() << "login " << user << ": " << (r ? r->status : -1);
      return s;
    }
    s.set_cookie = r->get_header_value("Set-Cookie");
    s.cookie = s.set_cookie.substr(0, s.set_cookie.find(';'));
    s.csrf = json::parse(r->body)["csrf"];
    return s;
  }
  static httplib::Result get(const Session& s, const std::string& path) {
    return client()->Get(path.c_str(), httplib::Headers{{"Cookie", s.cookie}});
  }
  static httplib::Result post(const Session& s, const std::string& path, const json& body,
                              bool with_csrf = true) {
    httplib::Headers h{{"Cookie", s.cookie}};
    if (with_csrf) h.emplace("X-CSRF-Token", s.csrf);
    return client()->Post(path.c_str(), h, body.dump(), "application/json");
  }
  static json get_json(const Session& s, const std::string& path, int want = 200) {
    auto r = get(s, path);
    if (!r) {
      ADD_FAILURE() << path << ": no answer";
      return {};
    }
    EXPECT_EQ(r->status, want) << path << ": " << r->body;
    return json::parse(r->body, nullptr, false);
  }

  static TempDir* dir_;
  static std::string store_;
  static int port_, plain_port_;
  static Background* server_;
  static Background* plain_;
};

TempDir* Console::dir_ = nullptr;
std::string Console::store_;
int Console::port_ = 0;
int Console::plain_port_ = 0;
Background* Console::server_ = nullptr;
Background* Console::plain_ = nullptr;

// A raw TCP connection to the plain-HTTP console from a source address of the test's choice
// (127.0.0.0/8 is all this host's: each address is another client to the console).
class Raw {
 public:
  Raw(int port, const std::string& source = "127.0.0.1") {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in from{};
    from.sin_family = AF_INET;
    ::inet_pton(AF_INET, source.c_str(), &from.sin_addr);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&from), sizeof from);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<std::uint16_t>(port));
    ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0;
  }
  ~Raw() { ::close(fd_); }
  Raw(const Raw&) = delete;
  Raw& operator=(const Raw&) = delete;
  bool connected() const { return connected_; }
  bool send(const std::string& bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }
  // Everything until the console closes or `timeout_ms` passes; `closed` says which.
  std::string read_all(int timeout_ms, bool* closed = nullptr) {
    std::string out;
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    if (closed != nullptr) *closed = false;
    while (std::chrono::steady_clock::now() < end) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      char buf[65536];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        if (closed != nullptr) *closed = true;
        break;
      }
      out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
  }
  // Whether the console closed the connection within `timeout_ms` (reading what came).
  bool closed_within(int timeout_ms) {
    bool closed = false;
    read_all(timeout_ms, &closed);
    return closed;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

int status_of(const std::string& response) {
  return response.rfind("HTTP/1.1 ", 0) == 0 ? std::atoi(response.c_str() + 9) : 0;
}

// One request on a connection of its own; the status of the answer (0: none).
int http_status(int port, const std::string& request, const std::string& source = "127.0.0.1") {
  Raw r(port, source);
  if (!r.connected() || !r.send(request)) return 0;
  return status_of(r.read_all(5000));
}

std::string login_request(const std::string& user, const std::string& password,
                          const std::string& extra = "") {
  const std::string body = json{{"user", user}, {"password", password}}.dump();
  return "POST /api/login HTTP/1.1\r\nHost: console\r\nConnection: close\r\n"
         "Content-Type: application/json\r\n" +
         extra + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

TEST_F(Console, NothingButLoginAndTheConsoleAnswersWithoutALogin) {
  auto c = client();
  for (const char* path : {"/api/search?q=*",
                           "/api/sessions",
                           "/api/http",
                           "/api/mail",
                           "/api/files",
                           "/api/findings",
                           "/api/alerts",
                           "/api/sessions/1",
                           "/api/sessions/1/pcap",
                           "/api/export.pcap?q=*",
                           "/api/timeline",
                           "/api/top?field=host",
                           "/api/users",
                           "/api/audit",
                           "/api/me",
                           "/api/openapi.json",
                           "/api/fields",
                           "/api/no-such-thing",
                           "/api/users/tanaka/activity",
                           "/api/alerts/1"}) {
    auto r = c->Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 401) << path;
    EXPECT_EQ(r->body.find("tanaka"), std::string::npos) << path;
  }
  auto r = c->Post("/api/alerts/1/ack", "{}", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  // A forged cookie is no login.
  r = c->Get("/api/search?q=*",
             httplib::Headers{{"Cookie", "kagami_session=" + std::string(64, 'a')}});
  EXPECT_EQ(r->status, 401);
  // The console's own files are public, with a content security policy.
  r = c->Get("/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("/assets/app.js"), std::string::npos);
  EXPECT_NE(r->get_header_value("Content-Security-Policy").find("script-src 'self'"),
            std::string::npos);
  r = c->Get("/assets/app.js");
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->get_header_value("Content-Type").find("javascript"), std::string::npos);
  r = c->Get("/assets/../index.sqlite");
  EXPECT_NE(r->status, 200);
}

TEST_F(Console, LoginSetsAHardenedCookieAndGuessingIsThrottled) {
  const Session s = login("alice");
  EXPECT_NE(s.set_cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(s.set_cookie.find("SameSite=Strict"), std::string::npos);
  EXPECT_NE(s.set_cookie.find("Secure"), std::string::npos);
  json me = get_json(s, "/api/me");
  EXPECT_EQ(me["user"], "alice");
  EXPECT_EQ(me["role"], "admin");

  auto c = client();
  int last = 0;
  std::string retry_after;
  for (int i = 0; i < 7; ++i) {
    auto r =
        c->Post("/api/login",
                json{{"user", "mallory-target"}, {"password", "guess" + std::to_string(i)}}.dump(),
                "application/json");
    ASSERT_TRUE(r);
    last = r->status;
    retry_after = r->get_header_value("Retry-After");
  }
  EXPECT_EQ(last, 429);
  EXPECT_FALSE(retry_after.empty());
  // Unknown user and wrong password look the same.
  auto r =
      c->Post("/api/login", json{{"user", "nobody"}, {"password", "x"}}.dump(), "application/json");
  EXPECT_EQ(r->status, 401);
  r = c->Post("/api/login", json{{"user", "vera"}, {"password", "wrong-password-1"}}.dump(),
              "application/json");
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(json::parse(r->body)["error"], "wrong user name or password");
}

TEST_F(Console, SearchAnswersTheInvestigatorsQuestions) {
  const Session s = login("ivan");
  json page = get_json(s, "/api/search?q=" + httplib::detail::encode_query_param(
                                                 "user:tanaka file.type:csv finding:jp_my_number"));
  EXPECT_EQ(page["kind"], "files");
  ASSERT_GE(page["records"].size(), 1u);
  EXPECT_EQ(page["records"][0]["name"], "customers.csv");
  page = get_json(
      s, "/api/search?q=" + httplib::detail::encode_query_param("host:*.evil.test AND method:GET"));
  EXPECT_EQ(page["kind"], "http");
  ASSERT_EQ(page["total"], 1);
  EXPECT_EQ(page["records"][0]["uri"], "/payload.exe");
  page = get_json(s, "/api/search?q=" + httplib::detail::encode_query_param("見積書"));
  EXPECT_EQ(page["kind"], "sessions");
  EXPECT_EQ(page["total"], 1);
  page =
      get_json(s, "/api/mail?q=" + httplib::detail::encode_query_param("to:partner@example.com"));
  ASSERT_EQ(page["total"], 1);
  EXPECT_EQ(page["records"][0]["subject"], "見積書の送付");
  // A bad query: 400, the message and where it went wrong.
  json err = get_json(
      s, "/api/search?q=" + httplib::detail::encode_query_param("method:POST AND (host:x"), 400);
  EXPECT_EQ(err["position"], 16);
  EXPECT_NE(err["error"].get<std::string>().find("never closed"), std::string::npos);
  err = get_json(s, "/api/search?q=x&limit=abc", 400);
  err = get_json(s, "/api/search?kind=passwords", 400);
  // Values are data, never SQL.
  page = get_json(
      s, "/api/search?q=" + httplib::detail::encode_query_param(
                                "user:\"x' OR '1'='1\" OR subject:\"'); DROP TABLE mail; --\""));
  EXPECT_EQ(page["total"], 0);
  page = get_json(s, "/api/mail?q=*");
  EXPECT_EQ(page["total"], 1);
  // Aggregates for the dashboard.
  json top = get_json(s, "/api/top?kind=http&field=host");
  ASSERT_GE(top["values"].size(), 2u);
  json tl = get_json(s, "/api/timeline?kind=sessions&buckets=10");
  std::uint64_t sum = 0;
  for (const auto& n : tl["counts"]) sum += n.get<std::uint64_t>();
  EXPECT_EQ(sum, 4u);
  json activity = get_json(s, "/api/users/tanaka/activity");
  EXPECT_EQ(activity["counts"]["sessions"], 1);
  EXPECT_GE(activity["counts"]["http"], 1);
}

TEST_F(Console, SessionPageAndEvidenceDownloads) {
  const Session s = login("ivan");
  json found =
      get_json(s, "/api/sessions?q=" + httplib::detail::encode_query_param("host:www.example.com"));
  ASSERT_EQ(found["total"], 1);
  const std::uint64_t id = found["records"][0]["id"];
  json page = get_json(s, "/api/sessions/" + std::to_string(id));
  EXPECT_EQ(page["session"]["id"], id);
  EXPECT_EQ(page["http"].size(), 1u);
  EXPECT_GE(page["files"].size(), 1u);
  EXPECT_GE(page["findings"].size(), 1u);
  EXPECT_GE(page["alerts"].size(), 1u);
  EXPECT_NE(page["findings"][0]["sample"], "***");  // investigators see the masked sample

  auto r = get(s, "/api/sessions/" + std::to_string(id) + "/pcap");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  ASSERT_GE(r->body.size(), 24u);
  const std::string pcap_path = dir_->path() + "/session.pcap";
  write_file(pcap_path, r->body);
  if (have_program("tshark")) {
    auto t = run({"tshark", "-r", pcap_path, "-Y", "http.request.method == \"POST\"", "-T",
                  "fields", "-e", "http.host"});
    EXPECT_EQ(t.out, "www.example.com\n");
  }
  r = get(s, "/api/export.pcap?q=" + httplib::detail::encode_query_param("ip:10.1.0.0/16"));
  ASSERT_EQ(r->status, 200);
  EXPECT_GT(r->body.size(), 1000u);
  // Named for what they hold.
  EXPECT_EQ(r->get_header_value("Content-Disposition"),
            "attachment; filename=\"kagami-ip_10_1_0_0_16.pcap\"");
  // Security: the upload's Basic credentials (tanaka's password) never leave in evidence. The
  // packets as captured are an admin's to ask for, and the audit log says who did.
  const std::string basic = base64_encode("tanaka:secret-password");
  EXPECT_EQ(r->body.find(basic), std::string::npos);
  EXPECT_NE(r->body.find("Authorization: Basic " + std::string(basic.size(), '*')),
            std::string::npos);
  const std::string session_pcap = "/api/sessions/" + std::to_string(id) + "/pcap";
  r = get(s, session_pcap);
  EXPECT_EQ(r->body.find(basic), std::string::npos);
  EXPECT_EQ(r->get_header_value("Content-Disposition"),
            "attachment; filename=\"kagami-session_" + std::to_string(id) + ".pcap\"");
  EXPECT_EQ(get(s, session_pcap + "?raw=1")->status, 403);
  const Session admin = login("alice");
  r = get(admin, session_pcap + "?raw=1");
  ASSERT_EQ(r->status, 200);
  EXPECT_NE(r->body.find(basic), std::string::npos);
  bool audited_raw = false;
  for (const auto& e : get_json(admin, "/api/audit?limit=1000"))
    if (e["action"] == "export" && e["actor"] == "alice" &&
        e.dump().find("\"raw\":true") != std::string::npos)
      audited_raw = true;
  EXPECT_TRUE(audited_raw);

  // An ordinary file comes back as it was, hashed again on the way.
  json files =
      get_json(s, "/api/files?q=" + httplib::detail::encode_query_param("file.name:customers.csv"));
  ASSERT_EQ(files["total"], 1);
  const std::string csv_sha = files["records"][0]["sha256"];
  r = get(s, "/api/files/" + csv_sha + "/content");
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(sha256_of(r->body), csv_sha);
  EXPECT_EQ(r->get_header_value("X-Kagami-SHA256"), csv_sha);
  json file = get_json(s, "/api/files/" + csv_sha);
  EXPECT_FALSE(file["malware"].get<bool>());
  EXPECT_GE(file["sightings"].size(), 1u);

  // Malware only inside a zip with the password "infected", its bytes encrypted.
  files = get_json(s, "/api/files?q=" + httplib::detail::encode_query_param("finding:yara:*"));
  ASSERT_EQ(files["total"], 1);
  const std::string bad_sha = files["records"][0]["sha256"];
  r = get(s, "/api/files/" + bad_sha + "/content");
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/zip");
  EXPECT_EQ(r->body.substr(0, 2), "PK");
  EXPECT_EQ(r->body.find("KAGAMI-TEST-MALWARE"), std::string::npos);
  if (have_program("unzip")) {
    write_file(dir_->path() + "/evidence.zip", r->body);
    auto u = run({"unzip", "-p", "-P", "infected", dir_->path() + "/evidence.zip"});
    EXPECT_EQ(sha256_of(u.out), bad_sha);
  }
  // Traversal and junk in the digest never reach the file store.
  for (const char* p : {"/api/files/../../index.sqlite/content", "/api/files/%2e%2e%2findex.sqlite",
                        "/api/files/ABC/content"}) {
    r = get(s, p);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->status == 404 || r->status == 400) << p << " " << r->status;
  }
}

TEST_F(Console, ViewersSeeFindingsMaskedAndTakeNoEvidence) {
  const Session v = login("vera");
  json page = get_json(v, "/api/findings?q=*");
  ASSERT_GE(page["records"].size(), 1u);
  for (const auto& f : page["records"]) EXPECT_EQ(f["sample"], "***");
  json files =
      get_json(v, "/api/files?q=" + httplib::detail::encode_query_param("file.name:customers.csv"));
  const std::string sha = files["records"][0]["sha256"];
  EXPECT_EQ(get(v, "/api/files/" + sha + "/content")->status, 403);
  EXPECT_EQ(get(v, "/api/sessions/1/pcap")->status, 403);
  EXPECT_EQ(get(v, "/api/export.pcap?q=*")->status, 403);
  EXPECT_EQ(get(v, "/api/users")->status, 403);
  EXPECT_EQ(get(v, "/api/audit")->status, 403);
  EXPECT_EQ(post(v, "/api/alerts/1/ack", json::object())->status, 403);
}

// The sensor's state for admins: the archive as its manifest says, the disk, the retention
// policy and what the recorder last said of itself, as `kagami status --json` has them.
TEST_F(Console, AdminsSeeTheSensorsState) {
  const Session a = login("alice");
  const json st = get_json(a, "/api/status");
  ASSERT_TRUE(st["store"].is_object()) << st.dump();
  EXPECT_EQ(st["store"]["archive"]["files"], 1) << st.dump();
  EXPECT_GT(st["store"]["archive"]["packets"].get<std::uint64_t>(), 0u);
  EXPECT_TRUE(st["store"]["archive"].contains("oldest_packet"));
  EXPECT_GT(st["store"]["disk"]["total_bytes"].get<std::uint64_t>(), 0u);
  EXPECT_EQ(st["store"]["retention"], "none");
  auto status = kagami({"status", "--store", store_, "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  const json cli = json::parse(status.out.substr(0, status.out.find('\n')));
  EXPECT_EQ(cli["archive"], st["store"]["archive"]);
  ASSERT_TRUE(st["components"].is_array());
  for (const auto& c : st["components"]) EXPECT_TRUE(c.contains("stale")) << c.dump();
}

// The route table is the one place a route's role is said: every operation the OpenAPI
// document (generated from the table) marks for investigators or admins refuses each role
// below it, and every one marked for viewers answers a viewer — nothing is reachable that the
// table does not list with its role.
TEST_F(Console, EveryRouteOfTheTableRefusesTheRolesBelowIt) {
  const Session a = login("alice");
  const json doc = get_json(a, "/api/openapi.json");
  ASSERT_TRUE(doc["paths"].is_object());
  const std::map<std::string, int> rank = {{"viewer", 0}, {"investigator", 1}, {"admin", 2}};
  const std::vector<std::pair<std::string, Session>> below = {{"viewer", login("vera")},
                                                              {"investigator", login("ivan")}};
  // The policy itself, pinned: what needs more than a viewer.
  const std::map<std::string, std::string> above_viewer = {
      {"get /api/sessions/{id}/pcap", "investigator"},
      {"get /api/export.pcap", "investigator"},
      {"get /api/files/{sha256}/content", "investigator"},
      {"get /api/files/{sha256}/preview", "investigator"},
      {"post /api/alerts/{id}/ack", "investigator"},
      {"post /api/alerts/{id}/reopen", "investigator"},
      {"post /api/alerts/{id}/comment", "investigator"},
      {"post /api/alerts/ack", "investigator"},
      {"post /api/alerts/reopen", "investigator"},
      {"get /api/users", "admin"},
      {"post /api/users", "admin"},
      {"delete /api/users/{name}", "admin"},
      {"get /api/audit", "admin"},
      {"get /api/audit/verify", "admin"},
      {"get /api/status", "admin"}};
  std::map<std::string, std::string> marked;
  for (const auto& [path, ops] : doc["paths"].items())
    for (const auto& [method, op] : ops.items())
      if (op.value("x-kagami-role", "") != "viewer" && op.value("x-kagami-role", "") != "none")
        marked[method + " " + path] = op.value("x-kagami-role", "");
  EXPECT_EQ(marked, above_viewer);
  std::size_t checked = 0;
  for (const auto& [path, ops] : doc["paths"].items()) {
    std::string url = path;
    for (const auto& [from, to] : {std::pair<std::string, std::string>{"{id}", "1"},
                                   {"{sha256}", std::string(64, '0')},
                                   {"{name}", "nobody"}})
      if (const auto at = url.find(from); at != std::string::npos) url.replace(at, from.size(), to);
    url += url.find("export.pcap") != std::string::npos ? "?q=*" : "";
    for (const auto& [method, op] : ops.items()) {
      ASSERT_TRUE(op.contains("x-kagami-role")) << method << " " << path;
      const std::string role = op["x-kagami-role"];
      if (role == "none" || path == "/api/logout") continue;  // logout would end the logins
      ASSERT_EQ(rank.count(role), 1u) << role;
      for (const auto& [who, session] : below) {
        httplib::Headers h{{"Cookie", session.cookie}, {"X-CSRF-Token", session.csrf}};
        auto c = client();
        auto r = method == "get"    ? c->Get(url.c_str(), h)
                 : method == "post" ? c->Post(url.c_str(), h, "{}", "application/json")
                                    : c->Delete(url.c_str(), h);
        ASSERT_TRUE(r) << method << " " << url;
        if (rank.at(who) < rank.at(role))
          EXPECT_EQ(r->status, 403) << who << " " << method << " " << url << ": " << r->body;
        else
          EXPECT_NE(r->status, 403) << who << " " << method << " " << url << ": " << r->body;
        ++checked;
      }
    }
  }
  EXPECT_GE(checked, 2u * 30);  // the whole table, not a few rows of it
}

TEST_F(Console, TriageNeedsTheCsrfTokenAndIsRecorded) {
  const Session s = login("ivan");
  json alerts = get_json(
      s, "/api/alerts?q=" + httplib::detail::encode_query_param("alert:\"Malware (YARA)\""));
  ASSERT_EQ(alerts["total"], 1);
  const std::uint64_t id = alerts["records"][0]["id"];
  EXPECT_EQ(alerts["records"][0]["state"], "new");
  const std::string path = "/api/alerts/" + std::to_string(id);
  // Without the token, or with another login's, nothing changes.
  EXPECT_EQ(post(s, path + "/ack", json::object(), false)->status, 403);
  Session other = login("alice");
  Session forged = s;
  forged.csrf = other.csrf;
  EXPECT_EQ(post(forged, path + "/ack", json::object())->status, 403);
  EXPECT_EQ(post(s, path + "/ack", {{"text", "reimaged the PC"}})->status, 201);
  EXPECT_EQ(post(s, path + "/comment", {{"text", "<script>alert(1)</script>"}})->status, 201);
  EXPECT_EQ(post(s, path + "/comment", {{"text", std::string(5000, 'x')}})->status, 413);
  json one = get_json(s, path);
  EXPECT_EQ(one["alert"]["state"], "acknowledged");
  ASSERT_EQ(one["notes"].size(), 2u);
  EXPECT_EQ(one["notes"][1]["text"], "<script>alert(1)</script>");  // stored as text
  alerts = get_json(
      s, "/api/alerts?q=" + httplib::detail::encode_query_param("alert:\"Malware (YARA)\""));
  EXPECT_EQ(alerts["records"][0]["state"], "acknowledged");
  // Oversized bodies are refused before they are read.
  auto r = post(s, path + "/comment", {{"text", std::string(200000, 'y')}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  r = post(s, path + "/comment", json("not an object"));
  EXPECT_EQ(r->status, 400);
  // An address longer than any query may be is refused before it is parsed.
  r = get(s, "/api/search?q=" + std::string(20000, 'a'));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 414);
  r = get(s, "/api/search?q=" + std::string(5000, 'a'));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("longer than 4096"), std::string::npos);
}

// A file's text, previewed with every value the detectors find masked; viewers see none.
TEST_F(Console, AFilesTextIsPreviewedMasked) {
  const Session s = login("ivan");
  json files =
      get_json(s, "/api/files?q=" + httplib::detail::encode_query_param("file.name:customers.csv"));
  ASSERT_GE(files["total"], 1);
  const std::string sha = files["records"][0]["sha256"];
  json p = get_json(s, "/api/files/" + sha + "/preview");
  const std::string text = p["text"];
  EXPECT_NE(text.find("氏名,マイナンバー,住所"), std::string::npos) << text;
  EXPECT_NE(text.find("東京都千代田区"), std::string::npos) << text;
  // Eight My Numbers, each hidden but its last four digits.
  std::size_t hidden = 0;
  for (std::size_t at = text.find("********"); at != std::string::npos;
       at = text.find("********", at + 8))
    ++hidden;
  EXPECT_EQ(hidden, 8u) << text;
  for (unsigned i = 1; i <= 8; ++i)
    EXPECT_EQ(text.find(valid_my_number_from(i)), std::string::npos) << text;
  EXPECT_EQ(p["truncated"], false);
  EXPECT_EQ(get(login("vera"), "/api/files/" + sha + "/preview")->status, 403);
  EXPECT_EQ(get(s, "/api/files/" + std::string(64, 'f') + "/preview")->status, 404);
}

// The alerts page's triage: many alerts acknowledged at once (each noted and audited as if
// alone), found again by their state; a list naming an alert that does not exist changes none.
TEST_F(Console, AlertsAreTriagedManyAtOnceAndFoundByTheirState) {
  const Session s = login("ivan");
  auto q = [](const std::string& text) { return httplib::detail::encode_query_param(text); };
  json mine = get_json(s, "/api/alerts?q=" + q("alert:\"My Numbers sent\""));
  ASSERT_EQ(mine["total"], 2);
  json ids = json::array();
  for (const auto& a : mine["records"]) ids.push_back(a["id"]);
  const auto count = [&](const std::string& query) {
    return get_json(s, "/api/alerts?q=" + q(query))["total"].get<int>();
  };
  const int acknowledged = count("state:acknowledged");
  // Refused: no token, a viewer, a bad list, an alert that does not exist.
  EXPECT_EQ(post(s, "/api/alerts/ack", {{"ids", ids}}, false)->status, 403);
  EXPECT_EQ(post(login("vera"), "/api/alerts/ack", {{"ids", ids}})->status, 403);
  EXPECT_EQ(post(s, "/api/alerts/ack", {{"ids", "1,2"}})->status, 400);
  EXPECT_EQ(post(s, "/api/alerts/ack", {{"ids", json::array()}})->status, 400);
  EXPECT_EQ(post(s, "/api/alerts/ack", {{"ids", json::array({-1})}})->status, 400);
  json with_ghost = ids;
  with_ghost.push_back(999999);
  EXPECT_EQ(post(s, "/api/alerts/ack", {{"ids", with_ghost}})->status, 404);
  EXPECT_EQ(count("state:acknowledged"), acknowledged);
  // Acknowledged together, found by state, in the triage notes and the audit log.
  auto r = post(s, "/api/alerts/ack", {{"ids", ids}, {"text", "sent to the partner on purpose"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201) << r->body;
  EXPECT_EQ(count("state:acknowledged"), acknowledged + 2);
  EXPECT_EQ(count("state:acknowledged alert:\"My Numbers sent\""), 2);
  EXPECT_EQ(count("state:new alert:\"My Numbers sent\""), 0);
  for (const auto& id : ids) {
    json one = get_json(s, "/api/alerts/" + std::to_string(id.get<int>()));
    EXPECT_EQ(one["alert"]["state"], "acknowledged");
    ASSERT_FALSE(one["notes"].empty());
    EXPECT_EQ(one["notes"].back()["text"], "sent to the partner on purpose");
  }
  json audit = get_json(login("alice"), "/api/audit?limit=50");
  int audited = 0;
  for (const auto& e : audit)
    if (e["action"] == "alert_ack" && e["actor"] == "ivan" &&
        (e["object"] == "alert:" + std::to_string(ids[0].get<int>()) ||
         e["object"] == "alert:" + std::to_string(ids[1].get<int>())))
      ++audited;
  EXPECT_EQ(audited, 2);
  // Reopened together.
  EXPECT_EQ(post(s, "/api/alerts/reopen", {{"ids", ids}})->status, 201);
  EXPECT_EQ(count("state:new alert:\"My Numbers sent\""), 2);
}

// Every list says who and where (the session's user and host on files and findings), sorts by
// its columns, exports as CSV and JSON, and gives the packets behind any of its kinds.
TEST_F(Console, ListsSayWhoAndWhereSortAndExport) {
  const Session s = login("ivan");
  auto q = [](const std::string& text) { return httplib::detail::encode_query_param(text); };
  json findings = get_json(s, "/api/findings?q=" + q("user:tanaka finding:jp_my_number"));
  ASSERT_EQ(findings["total"], 1);
  EXPECT_EQ(findings["records"][0]["user"], "tanaka");
  EXPECT_EQ(findings["records"][0]["host"], "www.example.com");
  json files = get_json(s, "/api/files?q=" + q("host:*.evil.test"));
  ASSERT_EQ(files["total"], 1);
  EXPECT_EQ(files["records"][0]["name"], "payload.exe");
  EXPECT_EQ(files["records"][0]["host"], "files.evil.test");
  // Sorted by a column, both ways; a column that is not one is an error, not SQL.
  json up = get_json(s, "/api/sessions?q=*&sort=client_port");
  json down = get_json(s, "/api/sessions?q=*&sort=-client_port");
  ASSERT_EQ(up["records"].size(), 4u);
  for (std::size_t i = 1; i < 4; ++i) {
    EXPECT_LE(up["records"][i - 1]["client_port"], up["records"][i]["client_port"]);
    EXPECT_GE(down["records"][i - 1]["client_port"], down["records"][i]["client_port"]);
  }
  json err = get_json(s, "/api/sessions?q=*&sort=" + q("id;DROP TABLE sessions"), 400);
  EXPECT_NE(err["error"].get<std::string>().find("cannot be sorted"), std::string::npos);
  // A query error has a code and its values, for the console to say in Japanese.
  err = get_json(s, "/api/search?q=" + q("nosuch:1"), 400);
  EXPECT_EQ(err["code"], "unknown_field");
  EXPECT_EQ(err["args"]["field"], "nosuch");
  // CSV: a byte-order mark, a header, one row per record, times in the zone asked for.
  auto r = get(
      s, "/api/export.csv?kind=findings&tz=Asia/Tokyo&q=" + q("user:tanaka finding:jp_my_number"));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/csv; charset=utf-8");
  EXPECT_NE(r->get_header_value("Content-Disposition").find("kagami-findings.csv"),
            std::string::npos);
  const std::string& csv = r->body;
  ASSERT_EQ(csv.rfind("\xEF\xBB\xBFid,ts,session_id,", 0), 0u) << csv.substr(0, 80);
  std::size_t lines = 0;
  for (std::size_t at = csv.find("\r\n"); at != std::string::npos; at = csv.find("\r\n", at + 2))
    ++lines;
  EXPECT_EQ(lines, 2u) << csv;
  EXPECT_NE(csv.find("customers.csv"), std::string::npos);
  EXPECT_NE(csv.find(",tanaka"), std::string::npos);
  EXPECT_NE(csv.find("2026-11-02T10:00:00.002+09:00"), std::string::npos) << csv;
  json as_json = get_json(s, "/api/export.json?kind=files&q=" + q("user:tanaka"));
  ASSERT_TRUE(as_json.is_array());
  EXPECT_EQ(as_json.size(),
            get_json(s, "/api/files?q=" + q("user:tanaka"))["total"].get<std::size_t>());
  // A viewer's export is masked as the viewer's list is.
  r = get(login("vera"), "/api/export.csv?kind=findings&q=" + q("finding:jp_my_number"));
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->body.find("9191"), std::string::npos) << r->body;
  // The packets behind a list of alerts are their sessions' packets.
  json malware = get_json(s, "/api/alerts?q=" + q("alert:\"Malware (YARA)\""));
  ASSERT_EQ(malware["total"], 1);
  const std::string session = std::to_string(malware["records"][0]["session_id"].get<int>());
  auto from_alerts = get(s, "/api/export.pcap?kind=alerts&q=" + q("alert:\"Malware (YARA)\""));
  auto from_session = get(s, "/api/sessions/" + session + "/pcap");
  ASSERT_TRUE(from_alerts && from_session);
  ASSERT_EQ(from_alerts->status, 200) << from_alerts->body;
  EXPECT_GT(from_alerts->body.size(), 24u);
  EXPECT_EQ(from_alerts->body, from_session->body);
  EXPECT_EQ(get(s, "/api/export.pcap?kind=alerts&q=" + q("alert:nothing_like_it"))->status, 404);
}

TEST_F(Console, AdminsManageUsersAndEverythingIsInTheAuditChain) {
  const Session a = login("alice");
  EXPECT_EQ(post(a, "/api/users", {{"name", "newbie"}, {"role", "viewer"}, {"password", "short"}})
                ->status,
            400);
  EXPECT_EQ(post(a, "/api/users",
                 {{"name", "../etc"}, {"role", "viewer"}, {"password", "long enough password"}})
                ->status,
            400);
  EXPECT_EQ(post(a, "/api/users",
                 {{"name", "newbie"}, {"role", "root"}, {"password", "long enough password"}})
                ->status,
            400);
  EXPECT_EQ(post(a, "/api/users",
                 {{"name", "newbie"}, {"role", "viewer"}, {"password", "newbie-password-123"}})
                ->status,
            201);
  json users = get_json(a, "/api/users");
  bool found = false;
  for (const auto& u : users) {
    found = found || u["name"] == "newbie";
    EXPECT_FALSE(u.contains("password"));
  }
  EXPECT_TRUE(found);
  const Session n = login("newbie");
  EXPECT_EQ(get_json(n, "/api/me")["role"], "viewer");
  httplib::Headers h{{"Cookie", a.cookie}, {"X-CSRF-Token", a.csrf}};
  auto r = client()->Delete("/api/users/newbie", h);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(get(n, "/api/me")->status, 401);  // removing a user ends their logins

  // Every search, view, export and download is in the log, failed logins too.
  const Session i = login("ivan");
  get_json(i, "/api/search?q=" + httplib::detail::encode_query_param("method:POST"));
  get_json(i, "/api/sessions/1");
  EXPECT_EQ(get(i, "/api/sessions/1/pcap")->status, 200);
  json files =
      get_json(i, "/api/files?q=" + httplib::detail::encode_query_param("file.name:customers.csv"));
  EXPECT_EQ(
      get(i, "/api/files/" + files["records"][0]["sha256"].get<std::string>() + "/content")->status,
      200);
  EXPECT_EQ(post(i, "/api/alerts/1/ack", json::object())->status, 201);
  client()->Post("/api/login", json{{"user", "vera"}, {"password", "not-her-password"}}.dump(),
                 "application/json");
  json log = get_json(a, "/api/audit?limit=1000");
  std::set<std::string> actions;
  for (const auto& e : log)
    actions.insert(e["action"].get<std::string>() + ":" + e["actor"].get<std::string>());
  for (const char* want : {"login:ivan", "search:ivan", "view:ivan", "export:ivan", "download:ivan",
                           "alert_ack:ivan", "login_failed:vera", "user_set:alice"})
    EXPECT_TRUE(actions.count(want)) << want;
  json verify = get_json(a, "/api/audit/verify");
  EXPECT_TRUE(verify["ok"].get<bool>()) << verify.dump();
  auto cli = kagami({"audit", "verify", "--store", store_});
  EXPECT_EQ(cli.exit_code, 0) << cli.out << cli.err;
  EXPECT_NE(cli.out.find("the hash chain holds"), std::string::npos);
}

// ---- the console under abuse (issue 13): each of these was a way in ----

// A user removed, demoted or given a new password with the command line loses the rights of
// their console login at once (the console reads the user table on every request).
TEST_F(Console, UsersChangedFromTheCommandLineLoseTheirRightsAtOnce) {
  write_file(dir_->path() + "/pw", "root2-password-123\n");
  ASSERT_EQ(kagami({"user", "set", "--store", store_, "root2", "--role", "admin", "--password-file",
                    dir_->path() + "/pw"})
                .exit_code,
            0);
  Session s = login("root2");
  EXPECT_EQ(get(s, "/api/audit")->status, 200);
  // Demoted: the same cookie is a viewer's now.
  ASSERT_EQ(kagami({"user", "set", "--store", store_, "root2", "--role", "viewer",
                    "--password-file", dir_->path() + "/pw"})
                .exit_code,
            0);
  // (set rewrites the password hash with a new salt: a new login is needed either way)
  EXPECT_EQ(get(s, "/api/audit")->status, 401);
  s = login("root2");
  EXPECT_EQ(get_json(s, "/api/me")["role"], "viewer");
  EXPECT_EQ(get(s, "/api/audit")->status, 403);
  // Removed: nothing more, not even creating an admin.
  ASSERT_EQ(kagami({"user", "remove", "--store", store_, "root2"}).exit_code, 0);
  EXPECT_EQ(get(s, "/api/me")->status, 401);
  auto r = post(s, "/api/users",
                {{"name", "backdoor"}, {"role", "admin"}, {"password", "backdoor-password-1"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  auto users = kagami({"user", "list", "--store", store_});
  EXPECT_EQ(users.out.find("backdoor"), std::string::npos) << users.out;
}

// A viewer sees findings masked, and must not be able to rebuild them by asking yes/no
// questions of free text (the count, the aggregates): document text is not searched for a
// viewer at all. Near-identical queries are limited, and every read is audited.
TEST_F(Console, ViewersCannotRebuildMaskedValuesByAskingQuestions) {
  write_file(dir_->path() + "/pw", "vic-password-123\n");
  ASSERT_EQ(kagami({"user", "set", "--store", store_, "vic", "--role", "viewer", "--password-file",
                    dir_->path() + "/pw"})
                .exit_code,
            0);
  const Session v = login("vic"), i = login("ivan");
  const std::string number = valid_my_number_from(1);  // in customers.csv, masked for viewers
  auto total = [&](const Session& who, const std::string& q) {
    return get_json(who, "/api/search?q=" + httplib::detail::encode_query_param(q))["total"];
  };
  // Investigators find the document by its text; viewers do not, by any prefix of it either.
  EXPECT_GE(total(i, "\"" + number + "\""), 1);
  EXPECT_GE(total(i, "顧客3"), 1);
  for (std::size_t n = 4; n <= number.size(); n += 4)
    EXPECT_EQ(total(v, "\"" + number.substr(0, n) + "\""), 0) << n;
  EXPECT_EQ(total(v, "顧客3"), 0);
  EXPECT_EQ(total(v, "customers.csv"), 1);  // what viewers see is still searchable
  // Nor through the aggregates.
  const std::string q = httplib::detail::encode_query_param("\"" + number + "\"");
  EXPECT_EQ(get_json(v, "/api/top?kind=sessions&field=user&q=" + q)["values"].size(), 0u);
  EXPECT_GE(get_json(i, "/api/top?kind=sessions&field=user&q=" + q)["values"].size(), 1u);
  std::uint64_t sum = 0;
  for (const auto& c : get_json(v, "/api/timeline?kind=sessions&q=" + q)["counts"])
    sum += c.get<std::uint64_t>();
  EXPECT_EQ(sum, 0u);
  // The digest of the document's text is not shown to viewers either.
  json files =
      get_json(v, "/api/files?q=" + httplib::detail::encode_query_param("file.name:customers.csv"));
  ASSERT_GE(files["records"].size(), 1u);
  EXPECT_EQ(files["records"][0].dump().find("text_sha256"), std::string::npos);
  // Asking the same question with one digit more, over and over, runs out (the same query
  // again, a second page, does not count).
  int refused = 0;
  for (int k = 0; k < 70; ++k) {
    auto r = get(v, "/api/search?limit=1&q=" +
                        httplib::detail::encode_query_param("\"1" + std::to_string(k) + "\""));
    ASSERT_TRUE(r);
    if (r->status == 429) {
      ++refused;
      EXPECT_FALSE(r->get_header_value("Retry-After").empty());
    }
  }
  EXPECT_GT(refused, 0);
  EXPECT_LE(refused, 15);
  // Every read is audited: searches, aggregates, and the refusals.
  const Session a = login("alice");
  std::set<std::string> actions;
  for (const auto& e : get_json(a, "/api/audit?limit=2000"))
    if (e["actor"] == "vic") actions.insert(e["action"].get<std::string>());
  for (const char* want : {"search", "top", "timeline", "rate_limited"})
    EXPECT_TRUE(actions.count(want)) << want;
}

// Only the console's own page can log a browser in (login CSRF), and no other site can change
// anything even with a stolen token.
TEST_F(Console, LoginAndChangesNeedToComeFromTheConsoleItself) {
  const int p = plain_port_;
  EXPECT_EQ(http_status(p,
                        "POST /api/login HTTP/1.1\r\nHost: c\r\nConnection: close\r\n"
                        "Content-Type: text/plain\r\nContent-Length: 44\r\n\r\n"
                        "{\"user\":\"ivan\",\"password\":\"ivan-password-123\"}"),
            415);
  EXPECT_EQ(http_status(
                p, login_request("ivan", "ivan-password-123", "Origin: https://evil.example\r\n")),
            403);
  EXPECT_EQ(
      http_status(p, login_request("ivan", "ivan-password-123", "Sec-Fetch-Site: cross-site\r\n")),
      403);
  EXPECT_EQ(
      http_status(p, login_request("ivan", "ivan-password-123",
                                   "Origin: http://console\r\nSec-Fetch-Site: same-origin\r\n")),
      200);
  // A change with the right cookie and token, from another site: refused.
  const Session s = login("ivan");
  auto r = client()->Post(
      "/api/alerts/1/comment",
      httplib::Headers{
          {"Cookie", s.cookie}, {"X-CSRF-Token", s.csrf}, {"Origin", "https://evil.example"}},
      json{{"text", "x"}}.dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  // A note whose text is not a string is a bad request, not a crash.
  r = post(s, "/api/alerts/1/comment", {{"text", {{"nested", true}}}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
}

// Guessing in parallel, or from rotating addresses, is throttled like guessing in a row.
TEST_F(Console, ParallelAndRotatingGuessesAreThrottled) {
  const int p = plain_port_;
  std::atomic<int> wrong{0}, throttled{0};
  std::vector<std::thread> burst;
  for (int k = 0; k < 24; ++k) {
    burst.emplace_back([&, k] {
      const int st = http_status(p, login_request("burst-target", "guess-" + std::to_string(k)),
                                 "127.0.4." + std::to_string(10 + k));
      if (st == 401) ++wrong;
      if (st == 429) ++throttled;
    });
  }
  for (auto& t : burst) t.join();
  EXPECT_LE(wrong.load(), 5);  // the user's free tries, however many came at once
  EXPECT_GE(throttled.load(), 19);
  // A new address for every guess.
  int checked = 0;
  for (int k = 0; k < 12; ++k) {
    const int st = http_status(p, login_request("rotate-target", "guess-" + std::to_string(k)),
                               "127.0.1." + std::to_string(10 + k));
    if (st == 401) ++checked;
  }
  EXPECT_LE(checked, 5);
}

// Slow, idle and too many connections cost the console descriptors, not its service.
TEST_F(Console, SlowAndIdleClientsCannotTakeTheConsole) {
  const int p = plain_port_;
  std::atomic<bool> stop{false};
  // 20 addresses x 8 connections: more than the console keeps (64). Half send one header
  // line now and then (slowloris), half send nothing; all of them reconnect when dropped.
  std::vector<std::thread> attackers;
  for (int a = 0; a < 20; ++a) {
    attackers.emplace_back([&, a] {
      const std::string source = "127.0.2." + std::to_string(10 + a);
      while (!stop) {
        std::vector<std::unique_ptr<Raw>> conns;
        for (int k = 0; k < 8; ++k) {
          conns.push_back(std::make_unique<Raw>(p, source));
          if (a % 2 == 0) conns.back()->send("GET / HTTP/1.1\r\nHost: c\r\n");
        }
        for (int round = 0; round < 10 && !stop; ++round) {
          for (auto& c : conns)
            if (a % 2 == 0) c->send("X-Slow-" + std::to_string(round) + ": y\r\n");
          std::this_thread::sleep_for(std::chrono::milliseconds(500));
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  // Meanwhile a user's requests are answered, promptly.
  int answered = 0, slowest_ms = 0;
  for (int k = 0; k < 20; ++k) {
    const auto t0 = std::chrono::steady_clock::now();
    const int st = http_status(p, "GET / HTTP/1.1\r\nHost: c\r\nConnection: close\r\n\r\n");
    const int ms = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
            .count());
    if (st == 200) ++answered;
    slowest_ms = std::max(slowest_ms, ms);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  stop = true;
  for (auto& t : attackers) t.join();
  EXPECT_EQ(answered, 20);
  EXPECT_LT(slowest_ms, 2000);
  // One address gets no more than its share: the ninth connection is closed at once.
  std::vector<std::unique_ptr<Raw>> mine;
  for (int k = 0; k < 8; ++k) mine.push_back(std::make_unique<Raw>(p, "127.0.3.1"));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  Raw ninth(p, "127.0.3.1");
  EXPECT_TRUE(ninth.closed_within(1000));
  // A request begun and not finished in time (3 s here) is told so and closed.
  Raw slow(p, "127.0.3.2");
  slow.send("GET / HTTP/1.1\r\nHost: c\r\n");
  bool closed = false;
  const std::string said = slow.read_all(6000, &closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(status_of(said), 408) << said;
}

// Bodies over the limit are refused from their size, before they are read, chunked or not;
// the console's memory does not follow what a client sends.
TEST_F(Console, OversizedBodiesAreRefusedBeforeTheyAreRead) {
  const int p = plain_port_;
  auto rss_kib = [](int pid) {
    const std::string status = read_file("/proc/" + std::to_string(pid) + "/status");
    const std::size_t at = status.find("VmRSS:");
    return at == std::string::npos ? -1L : std::stol(status.substr(at + 6));
  };
  const long before = rss_kib(plain_->pid());
  EXPECT_EQ(http_status(p,
                        "POST /api/login HTTP/1.1\r\nHost: c\r\nContent-Type: application/json\r\n"
                        "Content-Length: 268435456\r\n\r\n{"),
            413);
  EXPECT_EQ(http_status(p,
                        "POST /api/login HTTP/1.1\r\nHost: c\r\nContent-Type: application/json\r\n"
                        "Transfer-Encoding: chunked\r\n\r\n10000000\r\n"),
            413);
  // 256 MiB sent as 64 KiB chunks: refused after the first, the connection then closed.
  Raw r(p);
  r.send(
      "POST /api/login HTTP/1.1\r\nHost: c\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n\r\n");
  const std::string chunk = "10000\r\n" + std::string(65536, 'a') + "\r\n";
  std::size_t sent = 0;
  while (sent < (256u << 20) && r.send(chunk)) sent += 65536;
  EXPECT_GE(sent, 65536u);     // the first chunk went in
  EXPECT_LT(sent, 64u << 20);  // the console stopped taking them long before
  const long after = rss_kib(plain_->pid());
  EXPECT_LT(after - before, 32 * 1024) << before << " -> " << after << " KiB";
}

// An answer given before the body is read (401 for a request without a login) must not leave
// the body on the connection to be taken for a request of its own (request smuggling behind a
// reverse proxy). Requests that follow one another properly are all answered.
TEST_F(Console, NoPartOfARequestIsEverTakenForTheNext) {
  const int p = plain_port_;
  const std::string inner = "GET /api/me HTTP/1.1\r\nHost: c\r\n\r\n";
  Raw smuggle(p);
  smuggle.send(
      "POST /api/users HTTP/1.1\r\nHost: c\r\nContent-Type: application/json\r\n"
      "Content-Length: " +
      std::to_string(inner.size()) + "\r\n\r\n" + inner);
  bool closed = false;
  const std::string got = smuggle.read_all(3000, &closed);
  EXPECT_EQ(status_of(got), 401);
  std::size_t answers = 0;
  for (std::size_t at = got.find("HTTP/1.1 "); at != std::string::npos;
       at = got.find("HTTP/1.1 ", at + 1))
    ++answers;
  EXPECT_EQ(answers, 1u) << got;
  EXPECT_TRUE(closed);
  // Two requests in a row on one connection, both public: both answered, in order.
  Raw pipelined(p);
  pipelined.send(
      "GET /assets/app.css HTTP/1.1\r\nHost: c\r\n\r\n"
      "GET / HTTP/1.1\r\nHost: c\r\nConnection: close\r\n\r\n");
  const std::string two = pipelined.read_all(3000);
  const std::size_t second = two.find("HTTP/1.1 200", 1);
  EXPECT_EQ(status_of(two), 200);
  ASSERT_NE(second, std::string::npos) << two.substr(0, 300);
  EXPECT_NE(two.find("text/html", second), std::string::npos);
  // A request that lies about its framing is refused and the connection closed.
  Raw liar(p);
  liar.send(
      "POST /api/login HTTP/1.1\r\nHost: c\r\nContent-Length: 4\r\n"
      "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  const std::string refused = liar.read_all(3000, &closed);
  EXPECT_EQ(status_of(refused), 400);
  EXPECT_TRUE(closed);
}

// TLS 1.2 with CBC suites (the padding-oracle family) or RSA key exchange is not offered;
// ECDHE with AES-GCM is.
TEST_F(Console, OnlyAeadSuitesAreOffered) {
  if (!have_program("openssl")) GTEST_SKIP() << "openssl missing";
  auto hello = [&](const std::string& ciphers) {
    return run({"bash", "-c",
                "timeout 10 openssl s_client -connect 127.0.0.1:" + std::to_string(port_) +
                    " -tls1_2 -cipher '" + ciphers + "' </dev/null 2>&1"});
  };
  const auto cbc = hello(
      "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384:"
      "ECDHE-RSA-AES256-SHA384:AES128-SHA:AES256-SHA");
  EXPECT_EQ(cbc.out.find("Cipher is ECDHE"), std::string::npos) << cbc.out;
  EXPECT_NE(cbc.out.find("handshake failure"), std::string::npos) << cbc.out;
  const auto gcm = hello("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256");
  EXPECT_NE(gcm.out.find("GCM"), std::string::npos) << gcm.out;
}

}  // namespace
}  // namespace kagami::test
